package io.metarec.backend;

/** What {@link Backend#random} draws; p1, p2 are its parameters. */
public enum Distribution {
    /** Uniform on [p1, p2). */
    UNIFORM,
    /** Normal with mean p1 and standard deviation p2. */
    NORMAL
}
