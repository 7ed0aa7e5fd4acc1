package io.metarec.fuzz;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

/**
 * One change to a file's bytes, as a fuzzer makes it: flip or overwrite a byte, cut the file,
 * insert something hostile (huge or non-finite numbers, separators, quotes, NUL bytes, invalid
 * UTF-8, line breaks, a long line, a cell with very many values), or duplicate, drop or replace a
 * line or a token. Positions are fractions of the length, so one mutation applies to any file and
 * shrinks well.
 */
public record Mutation(Op op, double at, int bits, String payload) {
    public enum Op { FLIP, SET_BYTE, TRUNCATE, INSERT, REPLACE_TOKEN, DUPLICATE_LINE, DELETE_LINE, MOVE_LINE_TO_END }

    /** What INSERT and REPLACE_TOKEN put in; "LONG:…" and "MANY:…" expand to long text (see {@link #expand}). */
    static final List<String> PAYLOADS = List.of(
            "99999999999999999999", "2147483648", "-2147483649", "9223372036854775808", "2000000000", "-1", "0", "1e308", "-1e400",
            "1e-45", "NaN", "Infinity", "-Infinity", "0x1F", "5.5", "", " ", ",", ";", "::", "|", "||", "\t", "\"", "\"\"", "\"a,b\"", "[]",
            "#", "\u0000", "\u0000\u0000\u0000\u0000", "\r", "\n", "\r\n", "\n\n\n", "\u00e9", "\ufeff", "<unknown>", "none",
            "LONG:100000", "LONG:1000000", "MANY:50000", "BYTES:c328", "BYTES:ff", "BYTES:efbbbf", "BYTES:c0af", "BYTES:ed a0 80");

    public static Arbitrary<Mutation> arbitrary() {
        return Combinators.combine(Arbitraries.of(Op.values()), Arbitraries.doubles().between(0, 1), Arbitraries.integers().between(0, 255),
                Arbitraries.of(PAYLOADS)).as(Mutation::new);
    }

    /** A list of 1 to {@code max} mutations. */
    public static Arbitrary<List<Mutation>> some(int max) {
        return arbitrary().list().ofMinSize(1).ofMaxSize(max);
    }

    public static byte[] applyAll(List<Mutation> ms, byte[] in) {
        byte[] b = in;
        for (Mutation m : ms) b = m.apply(b);
        return b;
    }

    public byte[] apply(byte[] in) {
        int n = in.length;
        int pos = (int) Math.min(n, Math.floor(at * (n + 1)));
        switch (op) {
            case FLIP -> {
                if (n == 0) return in;
                byte[] out = in.clone();
                out[Math.min(pos, n - 1)] ^= (byte) (1 << (bits & 7));
                return out;
            }
            case SET_BYTE -> {
                if (n == 0) return in;
                byte[] out = in.clone();
                out[Math.min(pos, n - 1)] = (byte) bits;
                return out;
            }
            case TRUNCATE -> {
                return Arrays.copyOf(in, pos);
            }
            case INSERT -> {
                return splice(in, pos, pos, expand(payload));
            }
            case REPLACE_TOKEN -> {
                int s = pos, e = pos;
                while (s > 0 && !separator(in[s - 1])) s--;
                while (e < n && !separator(in[e])) e++;
                return splice(in, s, e, expand(payload));
            }
            default -> {
                int s = Math.min(pos, n), e = s;
                while (s > 0 && in[s - 1] != '\n') s--;
                while (e < n && in[e] != '\n') e++;
                if (e < n) e++; // with its line break
                byte[] line = Arrays.copyOfRange(in, s, e);
                return switch (op) {
                    case DUPLICATE_LINE -> splice(in, e, e, line);
                    case DELETE_LINE -> splice(in, s, e, new byte[0]);
                    default -> { // MOVE_LINE_TO_END
                        byte[] rest = splice(in, s, e, new byte[0]);
                        byte[] tail = line.length > 0 && line[line.length - 1] != '\n' ? splice(line, line.length, line.length, new byte[] {'\n'}) : line;
                        yield splice(rest, rest.length, rest.length, tail);
                    }
                };
            }
        }
    }

    private static boolean separator(byte c) {
        return c == ',' || c == '\n' || c == '|' || c == ':' || c == '\t' || c == '"';
    }

    static byte[] expand(String p) {
        if (p.startsWith("LONG:")) {
            byte[] b = new byte[Integer.parseInt(p.substring(5))];
            Arrays.fill(b, (byte) '7');
            return b;
        }
        if (p.startsWith("MANY:")) { // one cell with very many distinct values
            StringBuilder s = new StringBuilder();
            for (int k = Integer.parseInt(p.substring(5)); k > 0; k--) s.append('v').append(k).append(k > 1 ? "|" : "");
            return s.toString().getBytes(StandardCharsets.UTF_8);
        }
        if (p.startsWith("BYTES:")) {
            String hex = p.substring(6).replace(" ", "");
            byte[] b = new byte[hex.length() / 2];
            for (int i = 0; i < b.length; i++) b[i] = (byte) Integer.parseInt(hex.substring(2 * i, 2 * i + 2), 16);
            return b;
        }
        return p.getBytes(StandardCharsets.UTF_8);
    }

    static byte[] splice(byte[] in, int from, int to, byte[] with) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(in.length - (to - from) + with.length);
        out.write(in, 0, from);
        out.writeBytes(with);
        out.write(in, to, in.length - to);
        return out.toByteArray();
    }

    @Override public String toString() {
        String p = payload.length() > 20 ? payload.substring(0, 20) + "…" : payload;
        return op + "@" + String.format(java.util.Locale.ROOT, "%.3f", at) + (op == Op.INSERT || op == Op.REPLACE_TOKEN ? "[" + p.replace("\n", "\\n").replace("\u0000", "\\0") + "]" : op == Op.FLIP || op == Op.SET_BYTE ? "[" + bits + "]" : "");
    }
}
