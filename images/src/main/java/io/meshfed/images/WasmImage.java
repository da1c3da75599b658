package io.meshfed.images;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Marks a Wasm filter's OCI image as the Wasm image specification's "compat" variant, as Istio's WasmPlugin reads
 * it: one {@code application/vnd.oci.image.layer.v1.tar+gzip} layer holding {@code plugin.wasm}, and (the
 * specification's rule for that media type) the manifest annotation {@code module.wasm.image/variant=compat}. Jib
 * writes no manifest annotations, so the manifest in the layout is rewritten with it: a new blob under its own
 * digest, which {@code index.json} then names.
 */
final class WasmImage {
    static final String VARIANT = "module.wasm.image/variant";
    private static final ObjectMapper JSON = new ObjectMapper();

    private WasmImage() {
    }

    static void annotateCompat(Path tarball, Path work) throws IOException, InterruptedException {
        ImageBuilder.deleteTree(work);
        Files.createDirectories(work);
        ImageRoot.tar("-xf", tarball.toString(), "-C", work.toString());
        ObjectNode index = (ObjectNode) JSON.readTree(work.resolve("index.json").toFile());
        ObjectNode entry = (ObjectNode) index.path("manifests").path(0);
        Path old = blob(work, entry.path("digest").asText());
        ObjectNode manifest = (ObjectNode) JSON.readTree(old.toFile());
        if (manifest.path("layers").size() != 1) {
            throw new IllegalStateException(tarball + ": a Wasm image has one layer, not " + manifest.path("layers"));
        }
        manifest.putObject("annotations").put(VARIANT, "compat");
        byte[] bytes = JSON.writeValueAsBytes(manifest);
        String digest = "sha256:" + sha256(bytes);
        Files.delete(old);
        Files.write(blob(work, digest), bytes);
        entry.put("digest", digest);
        entry.put("size", bytes.length);
        Files.write(work.resolve("index.json"), JSON.writeValueAsBytes(index));
        Files.delete(tarball);
        ImageRoot.tar("--sort=name", "--mtime=@1", "--owner=0", "--group=0", "--numeric-owner", "-C", work.toString(),
                "-cf", tarball.toString(), ".");
        ImageBuilder.deleteTree(work);
    }

    private static Path blob(Path layout, String digest) {
        return layout.resolve("blobs/sha256").resolve(digest.substring("sha256:".length()));
    }

    private static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
