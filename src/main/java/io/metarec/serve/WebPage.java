package io.metarec.serve;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The page served at {@code /}: one self-contained HTML file (its CSS and script inline, nothing
 * fetched from elsewhere) kept as a classpath resource next to this class. It talks only to this
 * server's API. Served with a Content-Security-Policy that allows exactly its own inline script and
 * style (by SHA-256 hash) and requests to this origin, so even a title that slipped past the page's
 * escaping could run no script.
 */
final class WebPage {
    static final String RESOURCE = "index.html";
    static final String CONTENT_TYPE = "text/html; charset=utf-8";

    private static final Pattern SCRIPT = Pattern.compile("<script>(.*?)</script>", Pattern.DOTALL);
    private static final Pattern STYLE = Pattern.compile("<style>(.*?)</style>", Pattern.DOTALL);

    final byte[] html;
    final String contentSecurityPolicy;

    private WebPage(byte[] html, String contentSecurityPolicy) {
        this.html = html;
        this.contentSecurityPolicy = contentSecurityPolicy;
    }

    static WebPage load() {
        try (InputStream in = WebPage.class.getResourceAsStream(RESOURCE)) {
            if (in == null) throw new IllegalStateException("the web page resource " + RESOURCE + " is missing from the classpath");
            byte[] bytes = in.readAllBytes();
            return new WebPage(bytes, policy(new String(bytes, StandardCharsets.UTF_8)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The policy for a page: its inline {@code <script>} and {@code <style>} blocks by hash, fetches to this origin, nothing else. */
    static String policy(String html) {
        return "default-src 'none'; script-src " + hashes(SCRIPT, html) + "; style-src " + hashes(STYLE, html)
                + "; connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
    }

    private static String hashes(Pattern block, String html) {
        List<String> out = new ArrayList<>();
        Matcher m = block.matcher(html);
        while (m.find()) out.add("'sha256-" + Base64.getEncoder().encodeToString(sha256(m.group(1))) + "'");
        return out.isEmpty() ? "'none'" : String.join(" ", out);
    }

    private static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
