package io.metarec.verify;

/** A reference file that does not follow the golden format; the message names the file and field. */
public class ReferenceFormatException extends IllegalArgumentException {
    public ReferenceFormatException(String message) {
        super(message);
    }
}
