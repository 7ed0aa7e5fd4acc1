package io.metarec.backend.cuda;

/**
 * The JCuda artifacts the CUDA backend needs. They are optional dependencies of metarec (the CLI
 * jar carries them; a project that depends on the library does not inherit them: 10 MB of jars,
 * mostly native libraries, it may never use), so the CUDA backend checks for them first and names
 * what to add. This class itself touches no JCuda class.
 */
final class JCudaDependency {
    /** The JCuda version metarec is built against: pom.xml's {@code jcuda.version} (JCudaDependencyTest keeps them equal). */
    static final String VERSION = "12.6.0";
    static final String DRIVER = "org.jcuda:jcuda:" + VERSION;
    static final String DRIVER_NATIVES = "org.jcuda:jcuda-natives:" + VERSION + " (classifier linux-x86_64)";
    static final String BLAS = "org.jcuda:jcublas:" + VERSION;
    static final String BLAS_NATIVES = "org.jcuda:jcublas-natives:" + VERSION + " (classifier linux-x86_64)";

    private JCudaDependency() {}

    /** Null when JCuda's driver binding is on the classpath, else the reason, naming the artifacts to add. */
    static String driverMissing() {
        return present("jcuda.driver.JCudaDriver") ? null
                : "JCuda is not on the classpath: add " + DRIVER + " and " + DRIVER_NATIVES + " (see docs/library.md)";
    }

    /** Null when JCublas is on the classpath, else why cuBLAS cannot be used (the backend then uses its own GEMM kernel). */
    static String blasMissing() {
        return present("jcuda.jcublas.JCublas2") ? null
                : "JCublas is not on the classpath (add " + BLAS + " and " + BLAS_NATIVES + ")";
    }

    private static boolean present(String className) {
        try {
            Class.forName(className, false, JCudaDependency.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
    }
}
