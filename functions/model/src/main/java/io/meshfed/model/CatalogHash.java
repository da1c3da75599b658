package io.meshfed.model;

import com.fasterxml.jackson.core.JsonProcessingException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

/** SHA-256 over the canonical JSON of a cluster and its exported services: equal content, equal hash. */
public final class CatalogHash {
    private CatalogHash() {
    }

    public static String of(MeshCluster cluster, List<ExportedService> services) {
        try {
            byte[] canonical = ModelJson.canonicalWriter().writeValueAsBytes(new Object[] {cluster, services});
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            return "sha256:" + HexFormat.of().formatHex(sha.digest(canonical));
        } catch (JsonProcessingException | NoSuchAlgorithmException e) {
            throw new IllegalStateException("cannot hash catalog content", e);
        }
    }
}
