package io.meshfed.xds.cache;

import com.google.protobuf.ByteString;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** Short, stable content digests used as resource and type versions. */
final class Digests {
    private Digests() {
    }

    static String of(ByteString bytes) {
        MessageDigest md = sha256();
        md.update(bytes.asReadOnlyByteBuffer());
        return HexFormat.of().formatHex(md.digest(), 0, 8);
    }

    static String of(Iterable<String> parts) {
        MessageDigest md = sha256();
        for (String part : parts) {
            md.update(part.getBytes(StandardCharsets.UTF_8));
            md.update((byte) 0);
        }
        return HexFormat.of().formatHex(md.digest(), 0, 8);
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK always has SHA-256", e);
        }
    }
}
