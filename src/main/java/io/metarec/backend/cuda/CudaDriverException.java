package io.metarec.backend.cuda;

/** A CUDA driver or cuBLAS call that failed; the message names the call, the CUDA error and its text. */
public class CudaDriverException extends RuntimeException {
    public CudaDriverException(String message) {
        super(message);
    }
}
