package io.metarec;

import io.metarec.backend.Backends;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;

import javax.xml.parsers.DocumentBuilderFactory;
import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The library as a separate project sees it (issue 12, item 4): a consumer whose pom declares only
 * {@code io.metarec:metarec} gets at most three other jars (Jackson's), none of the CLI's (picocli,
 * progress bar, charts, pdfbox, JUnit through pdfbox) and no JCuda; it compiles against the engine
 * API, meta-trains MAML for a few steps, saves and loads the model, recommends, and is told by name
 * which artifact to add when it asks for the CUDA backend. docs/library.md shows the same consumer
 * (kept in sync by hand: tests do not read the docs).
 *
 * <p><b>Which jar is installed.</b> Surefire runs in the {@code test} phase, before {@code package},
 * so under {@code mvn test} there is no jar of this build yet (or a stale one). The test therefore
 * installs what {@code mvn install} would: a jar of {@code target/classes} (classes and resources,
 * exactly what maven-jar-plugin packs) and {@code pom.xml} unchanged (maven-install-plugin installs
 * the pom as it is; this build has no flatten or dependency-reduced pom), both written in the
 * repository layout into a temporary <em>local</em> repository. Nothing is written to the user's
 * {@code ~/.m2}.
 *
 * <p><b>How Maven resolves.</b> The consumer's Maven runs offline ({@code -o}) with that temporary
 * local repository, and sees the user's local repository as a {@code file://} remote repository
 * (allowed offline by {@code -Daether.offline.protocols=file}) from which it copies the third-party
 * artifacts and the plugins it needs; {@code -s}/{@code -gs} point at an empty settings file so that
 * no mirror of the user's redirects it. The consumer's plugins are the versions this pom uses, and it
 * runs only {@code compile}, whose plugins this build has just used, so even a machine that has only
 * run {@code mvn test} (CI) has them all. The resolved classpath is the one the compiler was given
 * (Maven's {@code -X} log), read without the dependency plugin (not resolvable offline here).
 *
 * <p>Skipped only where {@code mvn} is not on the PATH. 10 to 25 s, by the machine's load: Maven 4 to 10 s, the consumer's run 5 to 13 s.
 */
class ConsumerProjectTest {
    /** The consumer's main class, as docs/library.md shows it. */
    static final String CONSUMER_SOURCE = """
            package example;

            import io.metarec.backend.BackendUnavailableException;
            import io.metarec.backend.Backends;
            import io.metarec.rec.data.Dataset;
            import io.metarec.rec.data.Datasets;
            import io.metarec.rec.data.Synthetic;
            import io.metarec.rec.data.SyntheticConfig;
            import io.metarec.rec.model.FeatureEncoder;
            import io.metarec.rec.split.ColdStartSplit;
            import io.metarec.rec.split.MeluProtocol;
            import io.metarec.rec.train.Experiment;
            import io.metarec.rec.train.Feedback;
            import io.metarec.rec.train.RecConfig;
            import io.metarec.rec.train.RecTrainer;
            import io.metarec.rec.train.Recommendations;
            import io.metarec.rec.train.SavedModel;

            import java.nio.file.Path;
            import java.util.Map;

            public class Recommend {
                public static void main(String[] args) throws Exception {
                    Path dir = Path.of(args.length > 0 ? args[0] : "metarec-example");
                    Backends.use(Backends.select("cpu"));   // the Vector API backend: needs --add-modules jdk.incubator.vector

                    // A small synthetic dataset (generic layout); Datasets.load also reads MovieLens-100K/1M.
                    Synthetic.write(SyntheticConfig.of(100, 60, 7), dir.resolve("data"), true);
                    Dataset data = Datasets.load(dir.resolve("data"));
                    ColdStartSplit split = MeluProtocol.defaults().split(data);
                    Experiment exp = Experiment.of(data, split, Feedback.explicit(), 0.1, 1);

                    // Meta-train MAML (MeLU's model, 3 inner steps) for one epoch, and save the model.
                    RecConfig config = RecConfig.defaults().withAlgo("maml").withEpochs(1);
                    Experiment.Trained maml = exp.train(config, new RecTrainer.Listener() {});
                    Path file = dir.resolve("maml.model");
                    SavedModel.save(file, config, exp, maml.learner(), null);

                    // Load it, adapt to a new user's three ratings, recommend five items they have not rated.
                    SavedModel model = SavedModel.load(file);
                    FeatureEncoder enc = model.encoder();
                    var user = enc.profile(Map.of("gender", "F", "age", "25-34"));
                    int[] rated = {model.itemIndex("1"), model.itemIndex("2"), model.itemIndex("3")};
                    var top = Recommendations.topK(model.learner(), enc, user, rated, new float[] {5, 2, 4},
                            model.config().innerSteps(), 5);
                    top.forEach(s -> System.out.println(model.title(s.item()) + "  " + s.score()));

                    // The CUDA backend needs JCuda, which metarec does not bring along.
                    try {
                        Backends.select("cuda");
                        System.out.println("cuda: available");
                    } catch (BackendUnavailableException e) {
                        System.out.println("cuda: " + e.reason());
                    }
                }
            }
            """;

    /** Group ids that must not reach a consumer: the CLI's libraries, what they pull in, JCuda, test frameworks. */
    static final List<String> FORBIDDEN = List.of("info.picocli", "me.tongfei", "org.jline", "org.knowm", "de.rototor", "org.apache.pdfbox",
            "de.erichseifert", "com.madgag", "commons-logging", "org.junit", "junit", "org.opentest4j", "org.apiguardian", "net.jqwik", "org.jcuda");

    @Test
    void aConsumerGetsTheEngineWithJacksonOnly(@TempDir Path tmp) throws Exception {
        Path mvn = onPath("mvn");
        assumeTrue(mvn != null, "mvn is not on the PATH: the consumer project needs Maven to resolve its dependencies");

        Path basedir = Path.of(System.getProperty("basedir", System.getProperty("user.dir")));
        Pom pom = Pom.read(basedir.resolve("pom.xml"));
        Path userRepo = userLocalRepository();
        assertTrue(Files.isDirectory(userRepo), "the user's local repository is not at " + userRepo);

        // 1. "Install" this build into a fresh local repository (see the class comment for why not target/*.jar).
        Path local = tmp.resolve("local-repo");
        Path artifactDir = local.resolve(pom.groupId.replace('.', '/')).resolve(pom.artifactId).resolve(pom.version);
        Files.createDirectories(artifactDir);
        String base = pom.artifactId + "-" + pom.version;
        jar(classesOf(Backends.class), artifactDir.resolve(base + ".jar"));
        Files.copy(basedir.resolve("pom.xml"), artifactDir.resolve(base + ".pom"));
        Files.writeString(artifactDir.resolve("_remote.repositories"), base + ".jar>=\n" + base + ".pom>=\n"); // as install:install writes

        // 2. The consumer project.
        Path project = tmp.resolve("consumer");
        Path src = project.resolve("src/main/java/example");
        Files.createDirectories(src);
        Files.writeString(src.resolve("Recommend.java"), CONSUMER_SOURCE);
        Files.writeString(project.resolve("pom.xml"), consumerPom(pom, userRepo));
        Path settings = tmp.resolve("settings.xml");
        Files.writeString(settings, "<settings/>\n");

        // 3. Resolve and compile it with Maven, offline. Only `compile`: its plugins (resources, compiler)
        // are the ones this build has just used, so they are in the user's cache even on a machine that
        // only ever ran `mvn test` (CI); the jar plugin of `package` might not be.
        Path mvnLog = tmp.resolve("mvn.log");
        List<String> cmd = List.of(mvn.toString(), "-B", "-X", "-o", "-Daether.offline.protocols=file", "-s", settings.toString(),
                "-gs", settings.toString(), "-Dmaven.repo.local=" + local, "compile");
        long t0 = System.nanoTime();
        int rc = run(cmd, project, Map.of("JAVA_HOME", System.getProperty("java.home")), mvnLog, 180);
        System.out.printf("consumer's mvn compile (user cache %s): %.1f s%n", userRepo, (System.nanoTime() - t0) / 1e9);
        if (rc != 0) {
            String log = tail(mvnLog, 60);
            String hint = log.contains("could not be resolved") || log.contains("has not been downloaded")
                    ? "\n(offline, the consumer's plugins and Jackson must already be in " + userRepo
                      + ": building metarec once puts them there)" : "";
            fail("the consumer's `mvn compile` failed (exit " + rc + "):\n" + log + hint);
        }

        // 4. Count what it resolved: the compile classpath the compiler was given (-X prints it), as paths
        // in the temporary repository's layout (a consumer's runtime classpath is the same here: no
        // runtime-only dependencies).
        List<String> classPath = compilerClasspath(Files.readAllLines(mvnLog), local);
        String self = pom.groupId.replace('.', '/') + "/" + pom.artifactId + "/";
        assertTrue(classPath.stream().anyMatch(p -> p.startsWith(self)), "metarec is not on the consumer's classpath: " + classPath);
        List<String> others = classPath.stream().filter(p -> !p.startsWith(self)).toList();
        System.out.println("consumer's resolved jars besides metarec (" + others.size() + "): " + others);
        for (String jar : others)
            for (String g : FORBIDDEN)
                assertFalse(jar.startsWith(g.replace('.', '/') + "/"), "a consumer of the library resolves " + jar + "; all: " + others);
        assertTrue(others.size() <= 3, "a consumer resolves " + others.size() + " jars besides metarec (at most 3: Jackson's): " + others);
        assertTrue(others.stream().allMatch(p -> p.startsWith("com/fasterxml/jackson/core/")), "not Jackson: " + others);

        // 5. Run it with the flags docs/library.md names, on exactly that classpath.
        List<String> runCp = new ArrayList<>(List.of(project.resolve("target/classes").toString()));
        for (String p : classPath) runCp.add(local.resolve(p).toString());
        Path out = tmp.resolve("run.log");
        List<String> java = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules", "jdk.incubator.vector", "-cp", String.join(File.pathSeparator, runCp),
                "example.Recommend", tmp.resolve("work").toString());
        t0 = System.nanoTime();
        rc = run(java, project, Map.of(), out, 120);
        String log = Files.readString(out);
        System.out.printf("consumer's run: %.1f s%n%s%n", (System.nanoTime() - t0) / 1e9, log);
        assertEquals(0, rc, "the consumer failed:\n" + log);
        long recommendations = log.lines().filter(l -> l.matches("\\S.*  -?\\d+(\\.\\d+)?(E-?\\d+)?")).count();
        assertEquals(5, recommendations, "five recommendations expected:\n" + log);
        assertTrue(log.contains("cuda: JCuda is not on the classpath: add org.jcuda:jcuda:"), "the CUDA backend should name JCuda:\n" + log);
        assertFalse(log.contains("Vector API unavailable"), "the consumer should get the Vector API backend:\n" + log);
        assertFalse(log.contains("NoClassDefFoundError"), log);
    }

    // ---- helpers -----------------------------------------------------------------------------

    /**
     * The jars on the compiler's classpath, from Maven's debug log ("[DEBUG] Classpath:" then one
     * indented entry per line), relative to the local repository {@code local}; the project's own
     * output folder is left out. Fails if the log has no such list (a compiler plugin that logs
     * differently), so the count can never pass by finding nothing.
     */
    static List<String> compilerClasspath(List<String> log, Path local) {
        List<String> out = new ArrayList<>();
        boolean in = false, seen = false;
        for (String line : log) {
            if (line.equals("[DEBUG] Classpath:")) { in = seen = true; continue; }
            if (!in) continue;
            if (!line.startsWith("[DEBUG]  ")) { in = false; continue; }
            Path p = Path.of(line.substring("[DEBUG]  ".length()).trim());
            if (p.startsWith(local)) out.add(local.relativize(p).toString().replace(File.separatorChar, '/'));
            else if (!Files.isDirectory(p)) throw new AssertionError("a classpath entry outside the consumer's repository: " + p);
        }
        if (!seen) throw new AssertionError("the consumer's Maven log has no '[DEBUG] Classpath:' list");
        return out;
    }

    /**
     * The consumer's pom: docs/library.md's, except that the user's local repository is a
     * {@code file://} repository here, and the manifest's classpath has no prefix (the test resolves
     * the entries against its temporary repository). Plugin versions are this pom's.
     */
    static String consumerPom(Pom pom, Path userRepo) {
        String cache = userRepo.toUri().toString();
        return """
                <?xml version="1.0" encoding="UTF-8"?>
                <project xmlns="http://maven.apache.org/POM/4.0.0">
                  <modelVersion>4.0.0</modelVersion>
                  <groupId>example</groupId>
                  <artifactId>consumer</artifactId>
                  <version>1.0</version>
                  <properties>
                    <maven.compiler.release>25</maven.compiler.release>
                    <project.build.sourceEncoding>UTF-8</project.build.sourceEncoding>
                  </properties>
                  <dependencies>
                    <dependency>
                      <groupId>%s</groupId>
                      <artifactId>%s</artifactId>
                      <version>%s</version>
                    </dependency>
                  </dependencies>
                  <repositories>
                    <repository><id>user-cache</id><url>%s</url>
                      <releases><checksumPolicy>ignore</checksumPolicy></releases><snapshots><enabled>false</enabled></snapshots></repository>
                  </repositories>
                  <pluginRepositories>
                    <pluginRepository><id>user-cache</id><url>%s</url>
                      <releases><checksumPolicy>ignore</checksumPolicy></releases><snapshots><enabled>false</enabled></snapshots></pluginRepository>
                  </pluginRepositories>
                  <build>
                    <pluginManagement>
                      <plugins>
                        <plugin><groupId>org.apache.maven.plugins</groupId><artifactId>maven-resources-plugin</artifactId><version>%s</version></plugin>
                        <plugin><groupId>org.apache.maven.plugins</groupId><artifactId>maven-compiler-plugin</artifactId><version>%s</version></plugin>
                        <plugin><groupId>org.apache.maven.plugins</groupId><artifactId>maven-surefire-plugin</artifactId><version>%s</version></plugin>
                      </plugins>
                    </pluginManagement>
                    <plugins>
                      <plugin>
                        <groupId>org.apache.maven.plugins</groupId>
                        <artifactId>maven-jar-plugin</artifactId>
                        <version>%s</version>
                        <configuration>
                          <archive>
                            <manifest>
                              <mainClass>example.Recommend</mainClass>
                              <addClasspath>true</addClasspath>
                              <classpathLayoutType>repository</classpathLayoutType>
                            </manifest>
                          </archive>
                        </configuration>
                      </plugin>
                    </plugins>
                  </build>
                </project>
                """.formatted(pom.groupId, pom.artifactId, pom.version, cache, cache,
                pom.plugin("maven-resources-plugin"), pom.plugin("maven-compiler-plugin"),
                pom.plugin("maven-surefire-plugin"), pom.plugin("maven-jar-plugin"));
    }

    /** The coordinates and plugin versions of this project's pom. */
    record Pom(String groupId, String artifactId, String version, Map<String, String> plugins) {
        static Pom read(Path file) throws Exception {
            DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
            f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
            Document doc = f.newDocumentBuilder().parse(file.toFile());
            Element project = doc.getDocumentElement();
            Map<String, String> plugins = new HashMap<>();
            Element build = child(project, "build");
            Element managed = build == null ? null : child(build, "pluginManagement");
            for (Element list : new Element[] {managed == null ? null : child(managed, "plugins"), build == null ? null : child(build, "plugins")})
                if (list != null)
                    for (Node n = list.getFirstChild(); n != null; n = n.getNextSibling())
                        if (n instanceof Element p && p.getTagName().equals("plugin") && child(p, "version") != null)
                            plugins.put(text(p, "artifactId"), text(p, "version"));
            return new Pom(text(project, "groupId"), text(project, "artifactId"), text(project, "version"), plugins);
        }

        String plugin(String artifactId) {
            String v = plugins.get(artifactId);
            if (v == null) throw new AssertionError("pom.xml pins no version of " + artifactId + " in <build>");
            return v;
        }

        private static Element child(Element parent, String tag) {
            for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling())
                if (n instanceof Element e && e.getTagName().equals(tag)) return e;
            return null;
        }

        private static String text(Element parent, String tag) {
            Element e = child(parent, tag);
            if (e == null) throw new AssertionError("pom.xml has no <" + tag + "> under <" + parent.getTagName() + ">");
            return e.getTextContent().trim();
        }
    }

    /** Where this build's main classes are (target/classes under Maven), from a class of the library. */
    static Path classesOf(Class<?> c) throws Exception {
        return Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI());
    }

    /** Packs a classes directory into a jar (or copies it, where the classes already are one). */
    static void jar(Path classes, Path target) throws IOException {
        if (Files.isRegularFile(classes)) {
            Files.copy(classes, target);
            return;
        }
        Manifest mf = new Manifest();
        mf.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        try (OutputStream os = Files.newOutputStream(target); JarOutputStream jar = new JarOutputStream(os, mf);
             Stream<Path> files = Files.walk(classes)) {
            for (Path p : files.filter(Files::isRegularFile).sorted().toList()) {
                String name = classes.relativize(p).toString().replace(File.separatorChar, '/');
                if (name.equals("META-INF/MANIFEST.MF")) continue;
                jar.putNextEntry(new JarEntry(name));
                Files.copy(p, jar);
                jar.closeEntry();
            }
        }
    }

    /** The local repository of the Maven running this test (surefire passes it), else ~/.m2/repository. */
    static Path userLocalRepository() {
        for (String key : List.of("localRepository", "maven.repo.local")) {
            String v = System.getProperty(key);
            if (v != null && !v.isBlank()) return Path.of(v).toAbsolutePath();
        }
        return Path.of(System.getProperty("user.home"), ".m2", "repository");
    }

    static Path onPath(String command) {
        String path = System.getenv("PATH");
        if (path == null) return null;
        for (String dir : path.split(File.pathSeparator)) {
            if (dir.isBlank()) continue;
            Path p = Path.of(dir, command);
            if (Files.isRegularFile(p) && Files.isExecutable(p)) return p;
        }
        return null;
    }

    /** Runs a command with output to {@code log}; kills it (and its children) after {@code timeoutSeconds}. */
    static int run(List<String> cmd, Path dir, Map<String, String> env, Path log, int timeoutSeconds) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).redirectOutput(log.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        pb.environment().putAll(env);
        Process p = pb.start();
        if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            fail(String.join(" ", cmd) + " did not finish in " + timeoutSeconds + " s:\n" + tail(log, 40));
        }
        return p.exitValue();
    }

    static String tail(Path log, int lines) throws IOException {
        List<String> all = Files.readAllLines(log, StandardCharsets.UTF_8);
        return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    }
}
