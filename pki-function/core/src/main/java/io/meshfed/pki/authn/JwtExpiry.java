package io.meshfed.pki.authn;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.time.Instant;
import java.util.Base64;
import java.util.Optional;

/**
 * The {@code exp} claim of a JWT, read without verifying anything. Used for one purpose only: never to remember a
 * positive TokenReview past the moment the token itself stops being valid. Nothing else is taken from the
 * unverified payload; whether the token is valid at all is the API server's call. Thread-safe.
 */
final class JwtExpiry {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** A service-account token's payload is a few hundred bytes; anything much larger is not worth decoding. */
    private static final int MAX_PAYLOAD_CHARS = 8 * 1024;

    private JwtExpiry() {
    }

    /** The expiry the token states, empty when it is not a JWT or states none (legacy, non-expiring tokens). */
    static Optional<Instant> of(String token) {
        int first = token.indexOf('.');
        int second = first < 0 ? -1 : token.indexOf('.', first + 1);
        if (second < 0 || second - first - 1 > MAX_PAYLOAD_CHARS || token.indexOf('.', second + 1) >= 0) {
            return Optional.empty();
        }
        try {
            byte[] payload = Base64.getUrlDecoder().decode(token.substring(first + 1, second));
            JsonNode exp = JSON.readTree(payload).path("exp");
            return exp.isIntegralNumber() && exp.canConvertToLong()
                    ? Optional.of(Instant.ofEpochSecond(exp.asLong())) : Optional.empty();
        } catch (IOException | IllegalArgumentException | java.time.DateTimeException e) {
            return Optional.empty();
        }
    }
}
