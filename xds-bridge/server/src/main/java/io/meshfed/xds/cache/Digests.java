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

    /**
     * 128 bits of SHA-256 over the parts, as two longs: summed (mod 2^64 each) into an order-free digest of a set
     * that can be updated one entry at a time.
     */
    static long[] entry(String... parts) {
        MessageDigest md = sha256();
        for (String part : parts) {
            md.update(part.getBytes(StandardCharsets.UTF_8));
            md.update((byte) 0);
        }
        java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(md.digest());
        return new long[] {b.getLong(), b.getLong()};
    }

    static String hex(long a, long b, int count) {
        return HexFormat.of().toHexDigits(a) + HexFormat.of().toHexDigits(b ^ count);
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK always has SHA-256", e);
        }
    }
}
