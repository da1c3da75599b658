package io.meshfed.images;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Enumeration;
import java.util.jar.Attributes;
import java.util.jar.JarFile;
import java.util.jar.Manifest;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;

/**
 * Unsigned copies of signed jars (Bouncy Castle's, Conscrypt's: JCA providers) for the images. The JDK's AOT cache,
 * like CDS, never holds classes of a signed jar, and the class loader checks every such jar's signature (digesting its
 * entries) at the first class it loads from it: hundreds of milliseconds of a cold start. OpenJDK does not require JCA
 * providers to be signed.
 *
 * <p>The copy also leaves out the jar's {@code META-INF/services/java.security.Provider}: when the JDK looks for an
 * algorithm no built-in provider has (its TLS code asks for every legacy named curve when the first TLS engine is
 * made), it instantiates every provider the class path declares there, and a Bouncy Castle provider made that way
 * precomputes its binary curves: about a second of CPU in a cold JVM, before the function's first call to the API
 * server. meshfed makes its providers itself ({@code CryptoProviders}) and lists none in {@code java.security}.
 * Everything else is byte for byte the original's.
 */
final class SignedJars {
    private static final Pattern SIGNATURE = Pattern.compile("META-INF/(?:[^/]+\\.(?:SF|RSA|DSA|EC)|SIG-[^/]+)",
            Pattern.CASE_INSENSITIVE);

    private SignedJars() {
    }

    static boolean isSigned(Path jar) throws IOException {
        try (ZipFile z = new ZipFile(jar.toFile())) {
            return z.stream().anyMatch(e -> SIGNATURE.matcher(e.getName()).matches());
        }
    }

    /** Writes {@code jar} without its signature files and per-entry manifest digests to {@code out}. */
    static void unsign(Path jar, Path out) throws IOException {
        Files.createDirectories(out.getParent());
        try (ZipFile in = new ZipFile(jar.toFile());
                OutputStream os = Files.newOutputStream(out);
                ZipOutputStream zos = new ZipOutputStream(os)) {
            Enumeration<? extends ZipEntry> entries = in.entries();
            while (entries.hasMoreElements()) {
                ZipEntry e = entries.nextElement();
                if (SIGNATURE.matcher(e.getName()).matches()
                        || e.getName().equals("META-INF/services/java.security.Provider")) {
                    continue;
                }
                ZipEntry copy = new ZipEntry(e.getName());
                copy.setTime(e.getTime());
                zos.putNextEntry(copy);
                try (InputStream data = in.getInputStream(e)) {
                    if (e.getName().equalsIgnoreCase(JarFile.MANIFEST_NAME)) {
                        Manifest m = new Manifest(data);
                        Manifest main = new Manifest();
                        main.getMainAttributes().putAll((Attributes) m.getMainAttributes().clone());
                        main.write(zos);
                    } else {
                        data.transferTo(zos);
                    }
                }
                zos.closeEntry();
            }
        }
    }
}
