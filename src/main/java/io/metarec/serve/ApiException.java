package io.metarec.serve;

/**
 * A request the server refuses, with the HTTP status and the request field at fault (a JSON path
 * such as {@code users[2].ratings[0].rating}; null when no one field is).
 */
public final class ApiException extends RuntimeException {
    public final int status;
    public final String field;

    public ApiException(int status, String field, String message) {
        super(message);
        this.status = status;
        this.field = field;
    }

    static ApiException badRequest(String field, String message) {
        return new ApiException(400, field, message);
    }
}
