package io.meshfed.pki.signing;

import java.io.ByteArrayOutputStream;

/**
 * The few DER constructions the intermediate signer needs to assemble a TBSCertificate from parts that are
 * already DER (names, key, extension values): tag-length-value with definite minimal lengths (X.690 section
 * 10.1). Stateless.
 */
final class Der {
    static final int BOOLEAN = 0x01;
    static final int INTEGER = 0x02;
    static final int BIT_STRING = 0x03;
    static final int OCTET_STRING = 0x04;
    static final int SEQUENCE = 0x30;
    static final int CONTEXT_0 = 0xa0;
    static final int CONTEXT_3 = 0xa3;

    /** {@code BOOLEAN TRUE}, the {@code critical} flag of an extension (omitted when false, as DER requires). */
    static final byte[] TRUE = {BOOLEAN, 1, (byte) 0xff};

    private Der() {
    }

    /** One TLV whose value is the concatenation of {@code parts}. */
    static byte[] tlv(int tag, byte[]... parts) {
        int length = 0;
        for (byte[] part : parts) {
            length += part.length;
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(length + 6);
        out.write(tag);
        writeLength(out, length);
        for (byte[] part : parts) {
            out.writeBytes(part);
        }
        return out.toByteArray();
    }

    /** An Extension: {@code SEQUENCE {extnID, critical DEFAULT FALSE, extnValue OCTET STRING}}. */
    static byte[] extension(byte[] oid, boolean critical, byte[] value) {
        byte[] wrapped = tlv(OCTET_STRING, value);
        return critical ? tlv(SEQUENCE, oid, TRUE, wrapped) : tlv(SEQUENCE, oid, wrapped);
    }

    /** A BIT STRING with no unused bits (a signature). */
    static byte[] bitString(byte[] bytes) {
        return tlv(BIT_STRING, new byte[] {0}, bytes);
    }

    private static void writeLength(ByteArrayOutputStream out, int length) {
        if (length < 0x80) {
            out.write(length);
        } else if (length < 0x100) {
            out.write(0x81);
            out.write(length);
        } else if (length < 0x10000) {
            out.write(0x82);
            out.write(length >>> 8);
            out.write(length);
        } else {
            out.write(0x83);
            out.write(length >>> 16);
            out.write(length >>> 8);
            out.write(length);
        }
    }
}
