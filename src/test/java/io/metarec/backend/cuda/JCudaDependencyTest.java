package io.metarec.backend.cuda;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * JCuda is an optional dependency: the messages that tell a library user which artifact to add
 * name the version the pom builds against, and JCuda's "native library not in the jar" errors
 * become that advice. (ConsumerProjectTest runs the case without JCuda on the classpath.)
 */
class JCudaDependencyTest {

    @Test void theNamedVersionIsThePomsJCudaVersion() throws Exception {
        Path basedir = Path.of(System.getProperty("basedir", System.getProperty("user.dir")));
        Matcher m = Pattern.compile("<jcuda\\.version>([^<]+)</jcuda\\.version>").matcher(Files.readString(basedir.resolve("pom.xml")));
        assertTrue(m.find(), "pom.xml has no <jcuda.version> property");
        assertEquals(m.group(1).trim(), JCudaDependency.VERSION, "JCudaDependency.VERSION must follow pom.xml's jcuda.version");
    }

    @Test void onThisClasspathJCudaIsPresent() {
        // The test classpath has every optional dependency, as the CLI jar does.
        assertNull(JCudaDependency.driverMissing());
        assertNull(JCudaDependency.blasMissing());
    }

    @Test void missingNativeJarsAreNamed() {
        var noDriverNatives = new UnsatisfiedLinkError("Error while loading native library \"JCudaDriver-12.6.0-linux-x86_64\"\n"
                + "Stack trace from the attempt to load the library as a resource:\n"
                + "java.io.IOException: No resource found with name '/lib/libJCudaDriver-12.6.0-linux-x86_64.so'");
        assertEquals("JCuda's native library is not on the classpath: add org.jcuda:jcuda-natives:" + JCudaDependency.VERSION
                + " (classifier linux-x86_64)", JCudaDevice.driverLoadFailure(noDriverNatives));
        var noBlasNatives = new UnsatisfiedLinkError("Error while loading native library \"JCublas2-12.6.0-linux-x86_64\"\n"
                + "java.io.IOException: No resource found with name '/lib/libJCublas2-12.6.0-linux-x86_64.so'");
        assertTrue(JCudaDevice.blasLoadFailure(noBlasNatives).startsWith("JCublas's native library is not on the classpath (add org.jcuda:jcublas-natives:"),
                JCudaDevice.blasLoadFailure(noBlasNatives));
    }
}
