package io.metarec.backend;

/** A shape, index or argument that an op cannot accept; the message names the op and the shapes. */
public class ShapeException extends IllegalArgumentException {
    public ShapeException(String message) {
        super(message);
    }
}
