package io.metarec.cli;

import io.metarec.rec.data.Dataset;
import io.metarec.rec.data.DatasetFormat;
import io.metarec.rec.data.Datasets;
import io.metarec.rec.data.MovieLens;
import io.metarec.util.AtomicFiles;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;

/**
 * {@code metarec data fetch movielens-100k|movielens-1m --out DIR}: downloads the official GroupLens
 * archive, checks its published MD5 before unpacking anything, unpacks it into a temporary directory
 * beside DIR (the archive's top folder stripped, zip-slip entries refused, the unpacked size capped),
 * reads it with the MovieLens reader, and only then renames it into place. A kill or an error at any
 * point leaves the old DIR intact, or no DIR; the next run removes the temporary.
 */
@Command(name = "fetch", mixinStandardHelpOptions = true,
        description = {"Download MovieLens-100K or MovieLens-1M from GroupLens into DIR (needs internet).",
                "The archive's MD5 is checked before anything is unpacked; DIR appears whole or not at all. "
                        + "MovieLens may not be redistributed: see GroupLens' README in DIR."})
final class FetchCommand implements Callable<Integer> {

    /** A dataset that can be fetched: its official archive, the archive's published MD5, its top folder. */
    record Source(String name, DatasetFormat format, String url, String md5, String folder) {}

    static final List<Source> SOURCES = List.of(
            new Source("movielens-100k", DatasetFormat.MOVIELENS_100K, "https://files.grouplens.org/datasets/movielens/ml-100k.zip",
                    "0e33842e24a9c977be4e0107933c0723", "ml-100k"),
            new Source("movielens-1m", DatasetFormat.MOVIELENS_1M, "https://files.grouplens.org/datasets/movielens/ml-1m.zip",
                    "c4d9eecfca2ab87c1945afe126590906", "ml-1m"));

    /** Largest archive downloaded (the real ones are about 5 and 6 MB). */
    static final long MAX_DOWNLOAD = 256L << 20;
    /** Largest total unpacked size (the real ones are about 16 and 24 MB); package-private so a test can lower it. */
    static long maxUnpacked = 1L << 30;
    static final int MAX_ENTRIES = 10_000;

    private static final Pattern MD5 = Pattern.compile("[0-9a-fA-F]{32}");

    @Parameters(paramLabel = "DATASET", description = "movielens-100k or movielens-1m")
    String dataset;
    @Option(names = "--out", required = true, paramLabel = "DIR", description = "directory to create (refused if not empty, unless --force)")
    Path out;
    @Option(names = "--force", description = "replace a non-empty DIR whole (only a directory of plain files, as a dataset is)")
    boolean force;
    @Option(names = "--url", paramLabel = "URL", description = "download from URL instead of GroupLens (a mirror of the same archive)")
    String url;
    @Option(names = "--md5", hidden = true, paramLabel = "HEX",
            description = "expected MD5 of the archive instead of the published one (for mirrors of another packaging, and tests)")
    String md5;
    @Option(names = "--debug", description = "print stack traces of errors")
    boolean debug;

    @Override public Integer call() throws IOException {
        Source src = source(dataset);
        String from = url != null ? url : src.url();
        URI uri = uri(from);
        String expected = md5 != null ? md5.toLowerCase(Locale.ROOT) : src.md5();
        if (!MD5.matcher(expected).matches()) throw new IllegalArgumentException("--md5: expected 32 hex digits, got '" + md5 + "'");
        Outputs.directory("--out", out);
        Path abs = out.toAbsolutePath().normalize();
        boolean replace = checkTarget(abs);

        Files.createDirectories(abs.getParent());
        long t0 = System.nanoTime();
        Path work = AtomicFiles.temporaryDirectory(abs); // removes the temporaries of killed runs first
        try {
            Path zip = work.resolve("download.zip");
            System.out.println("downloading " + from + " …");
            long bytes = download(uri, from, zip, expected);
            Path unpacked = work.resolve("unpacked");
            int files = unzip(zip, from, src.folder(), unpacked);
            Dataset d = check(unpacked, src, from);
            Files.delete(zip);
            install(unpacked, abs, replace);
            System.out.printf(Locale.ROOT, "fetched %s (%s, MD5 %s ok) into %s in %.1f s: %d files; %d users, %d items, %d ratings%n",
                    src.format().label(), bytes >= 100_000 ? String.format(Locale.ROOT, "%.1f MB", bytes / 1e6) : bytes + " bytes", expected, out, (System.nanoTime() - t0) / 1e9, files, d.numUsers(), d.numItems(),
                    d.interactions().size());
            if (replace) System.out.println("replaced the previous contents of " + out + " (--force)");
            System.out.println("licence: MovieLens data may not be redistributed; read GroupLens' terms in "
                    + (Files.isRegularFile(abs.resolve("README")) ? out.resolve("README") : "the README at https://grouplens.org/datasets/movielens/"));
            System.out.println("next:  metarec data describe " + out + "   |   metarec data split " + out + " --protocol melu");
            return 0;
        } finally {
            if (Files.exists(work)) AtomicFiles.deleteTree(work);
            AtomicFiles.finished(work);
        }
    }

    static Source source(String name) {
        for (Source s : SOURCES) if (s.name().equalsIgnoreCase(name.strip())) return s;
        throw new IllegalArgumentException("unknown dataset '" + name + "', expected one of: "
                + String.join(", ", SOURCES.stream().map(Source::name).toList()));
    }

    private static URI uri(String from) {
        try {
            URI u = new URI(from);
            String scheme = u.getScheme() == null ? "" : u.getScheme().toLowerCase(Locale.ROOT);
            if ((scheme.equals("http") || scheme.equals("https")) && u.getHost() != null) return u;
        } catch (URISyntaxException e) {
            // reported below
        }
        throw new IllegalArgumentException("--url: expected an http:// or https:// URL, got '" + from + "'");
    }

    /**
     * Refuses what would be unsafe to replace: a non-empty DIR without --force; with --force, a
     * directory holding sub-directories (a dataset has none; this keeps a mistyped --out such as a
     * home directory from being replaced) or the working directory or one above it.
     *
     * @return whether DIR exists and is not empty (and will be replaced)
     */
    private boolean checkTarget(Path abs) throws IOException {
        if (abs.getParent() == null) throw new IllegalArgumentException("--out: cannot write a dataset at " + out);
        if (!Files.isDirectory(abs)) return false;
        List<String> subdirs = new ArrayList<>();
        boolean empty = true;
        try (DirectoryStream<Path> s = Files.newDirectoryStream(abs)) {
            for (Path p : s) {
                empty = false;
                if (Files.isDirectory(p)) subdirs.add(p.getFileName().toString());
            }
        }
        if (empty) return false;
        if (!force) throw new IllegalArgumentException("--out: " + out + " exists and is not empty (use --force to replace it, or another --out)");
        Path cwd = Path.of("").toAbsolutePath().normalize();
        if (cwd.startsWith(abs)) throw new IllegalArgumentException("--out: " + out + " is the working directory or above it; --force will not replace it");
        if (!subdirs.isEmpty())
            throw new IllegalArgumentException("--out: " + out + " holds directories (" + String.join(", ", subdirs.stream().sorted().limit(3).toList())
                    + "), so it is not a dataset directory; --force replaces only a directory of files — give another --out");
        return true;
    }

    /** Downloads to {@code zip}, checking the status, the size cap and the MD5; returns the size. */
    static long download(URI uri, String from, Path zip, String expectedMd5) throws IOException {
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(30)).followRedirects(HttpClient.Redirect.NORMAL).build();
        HttpRequest req = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(60)).header("User-Agent", "metarec").GET().build();
        MessageDigest md = md5();
        long n = 0;
        try {
            HttpResponse<InputStream> resp = client.send(req, HttpResponse.BodyHandlers.ofInputStream());
            try (InputStream in = resp.body()) {
                if (resp.statusCode() != 200)
                    throw new IOException(from + ": HTTP status " + resp.statusCode() + " (expected 200); check the URL, or try again later");
                try (OutputStream o = Files.newOutputStream(zip)) {
                    byte[] buf = new byte[1 << 16];
                    int k;
                    while ((k = in.read(buf)) > 0) {
                        n += k;
                        if (n > MAX_DOWNLOAD)
                            throw new IOException(from + ": the download exceeds " + (MAX_DOWNLOAD >> 20) + " MiB (expected an archive of a few MB)");
                        md.update(buf, 0, k);
                        o.write(buf, 0, k);
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(from + ": download interrupted", e);
        } catch (IOException e) {
            if (e.getMessage() != null && e.getMessage().startsWith(from + ": ")) throw e;
            throw new IOException(from + ": cannot download (" + networkProblem(e, uri) + "); check the network connection, or give a mirror with --url", e);
        }
        String found = HexFormat.of().formatHex(md.digest());
        if (!found.equals(expectedMd5))
            throw new IOException(from + ": MD5 mismatch: expected " + expectedMd5 + ", found " + found + " (" + n
                    + " bytes); the download is damaged or not the expected archive, nothing was unpacked");
        return n;
    }

    private static MessageDigest md5() {
        try {
            return MessageDigest.getInstance("MD5");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("this JVM has no MD5", e);
        }
    }

    /** What went wrong reaching {@code uri}, in words ("connection refused by HOST:PORT", "unknown host HOST", "timed out"). */
    private static String networkProblem(IOException e, URI uri) {
        String host = uri.getHost(), hostPort = host + ":" + (uri.getPort() > 0 ? uri.getPort() : uri.getScheme().equalsIgnoreCase("https") ? 443 : 80);
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof java.net.http.HttpTimeoutException) return "timed out reaching " + hostPort;
            if (t instanceof java.net.UnknownHostException || t instanceof java.nio.channels.UnresolvedAddressException) return "unknown host " + host;
        }
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause())
            if (t instanceof java.net.ConnectException) return "cannot connect to " + hostPort + ": connection refused or unreachable";
        return describe(e);
    }

    /** The innermost useful text of a network failure ("Connection refused", "UnresolvedAddressException"). */
    private static String describe(Throwable e) {
        String message = null, type = null;
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            String m = t.getMessage();
            if (m != null && !m.isBlank()) message = m;
            type = t.getClass().getSimpleName();
        }
        if (message != null) return message;
        // "UnresolvedAddressException" -> "unresolved address"
        return type.replaceAll("(Exception|Error)$", "").replaceAll("([a-z])([A-Z])", "$1 $2").toLowerCase(Locale.ROOT);
    }

    /**
     * Unpacks {@code zip} into {@code dir}, stripping the top folder {@code folder/}: every entry must
     * lie under it (macOS's {@code __MACOSX/} folder is skipped), absolute names and ".." are refused,
     * the total size is capped by the bytes actually inflated. Returns the number of files.
     */
    static int unzip(Path zip, String from, String folder, Path dir) throws IOException {
        Files.createDirectories(dir);
        Path root = dir.toAbsolutePath().normalize();
        long total = 0;
        int files = 0, entries = 0;
        try (ZipFile z = new ZipFile(zip.toFile())) {
            Enumeration<? extends ZipEntry> en = z.entries();
            while (en.hasMoreElements()) {
                ZipEntry e = en.nextElement();
                if (++entries > MAX_ENTRIES) throw bad(from, "more than " + MAX_ENTRIES + " entries");
                String name = e.getName();
                if (name.startsWith("/") || name.startsWith("\\") || name.contains("\\") || name.matches("^[A-Za-z]:.*") || name.indexOf('\0') >= 0)
                    throw bad(from, "entry '" + name + "' has an absolute or non-portable path (expected " + folder + "/FILE)");
                for (String part : name.split("/"))
                    if (part.equals("..")) throw bad(from, "entry '" + name + "' leaves the archive's folder ('..'; expected " + folder + "/FILE)");
                if (name.startsWith("__MACOSX/")) continue;
                if (!name.startsWith(folder + "/"))
                    throw bad(from, "entry '" + name + "' is not under " + folder + "/ (expected the " + folder + ".zip layout)");
                String rest = name.substring(folder.length() + 1);
                if (rest.isEmpty() || rest.equals(".")) continue;
                Path target = root.resolve(rest).normalize();
                if (!target.startsWith(root) || target.equals(root)) throw bad(from, "entry '" + name + "' leaves the archive's folder");
                if (e.isDirectory()) {
                    Files.createDirectories(target);
                    continue;
                }
                Files.createDirectories(target.getParent());
                try (InputStream in = z.getInputStream(e); OutputStream o = Files.newOutputStream(target)) {
                    byte[] buf = new byte[1 << 16];
                    int k;
                    while ((k = in.read(buf)) > 0) {
                        total += k;
                        if (total > maxUnpacked) throw bad(from, "unpacks to more than " + (maxUnpacked >> 20) + " MiB (a zip bomb?)");
                        o.write(buf, 0, k);
                    }
                }
                files++;
            }
        } catch (ZipException e) {
            throw bad(from, "not a valid zip archive (" + describe(e) + ")");
        }
        if (files == 0) throw bad(from, "holds no files under " + folder + "/");
        return files;
    }

    private static IOException bad(String from, String what) {
        return new IOException(from + ": bad archive: " + what + "; nothing was written to --out");
    }

    /** Reads the unpacked files with the project's MovieLens reader, so a wrong or damaged archive is caught before it is installed. */
    private static Dataset check(Path dir, Source src, String from) throws IOException {
        DatasetFormat f;
        try {
            f = Datasets.detect(dir);
        } catch (IllegalArgumentException e) {
            throw new IOException(from + ": the archive holds no " + src.format().label() + " files (expected " + src.format().marker()
                    + " in " + src.folder() + "/)");
        }
        if (f != src.format())
            throw new IOException(from + ": the archive holds " + f.label() + ", expected " + src.format().label());
        try {
            return f == DatasetFormat.MOVIELENS_100K ? MovieLens.read100k(dir) : MovieLens.read1m(dir);
        } catch (IllegalArgumentException | IOException e) {
            String m = e.getMessage() == null ? e.toString() : e.getMessage().replace(dir.toString(), src.folder());
            throw new IOException(from + ": the archive's files do not read as " + src.format().label() + ": " + m);
        }
    }

    /**
     * Renames the unpacked directory to DIR. Replacing, the old DIR is first renamed into a temporary
     * directory beside it (so a kill between the two renames leaves no half DIR: the old one is
     * absent, not mixed), then deleted.
     */
    private static void install(Path unpacked, Path abs, boolean replace) throws IOException {
        if (!replace) {
            if (Files.isDirectory(abs)) Files.delete(abs); // empty: replaced by the new directory
            AtomicFiles.move(unpacked, abs);
            return;
        }
        Path aside = AtomicFiles.temporaryDirectory(abs);
        try {
            Path old = aside.resolve("old");
            Files.move(abs, old);
            try {
                AtomicFiles.move(unpacked, abs);
            } catch (IOException e) {
                Files.move(old, abs); // put the old one back
                throw e;
            }
        } finally {
            if (Files.exists(aside)) AtomicFiles.deleteTree(aside);
            AtomicFiles.finished(aside);
        }
    }
}
