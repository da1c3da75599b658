package io.meshfed.pki.signing;

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
        int lengthBytes = length < 0x80 ? 0 : length < 0x100 ? 1 : length < 0x10000 ? 2 : 3;
        byte[] out = new byte[2 + lengthBytes + length];
        out[0] = (byte) tag;
        if (lengthBytes == 0) {
            out[1] = (byte) length;
        } else {
            out[1] = (byte) (0x80 | lengthBytes);
            for (int i = 0; i < lengthBytes; i++) {
                out[2 + i] = (byte) (length >>> (8 * (lengthBytes - 1 - i)));
            }
        }
        int position = 2 + lengthBytes;
        for (byte[] part : parts) {
            System.arraycopy(part, 0, out, position, part.length);
            position += part.length;
        }
        return out;
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
}
