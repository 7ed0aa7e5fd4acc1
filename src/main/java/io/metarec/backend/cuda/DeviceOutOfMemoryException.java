package io.metarec.backend.cuda;

/** The GPU had no room for an allocation, even after the backend returned its cached memory. */
public class DeviceOutOfMemoryException extends CudaDriverException {
    public DeviceOutOfMemoryException(String message) {
        super(message);
    }
}
