package io.meshfed.model;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

/** Accepts PEM both as text and as base64-of-PEM (the kubeconfig "-data" form) and returns the text form. */
public final class Pem {
    private Pem() {
    }

    public static String decodeText(String value) {
        if (value == null) {
            return "";
        }
        String trimmed = value.trim();
        if (trimmed.startsWith("-----BEGIN ")) {
            return trimmed + "\n";
        }
        try {
            return new String(Base64.getMimeDecoder().decode(trimmed), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException notBase64) {
            return "";
        }
    }
}
