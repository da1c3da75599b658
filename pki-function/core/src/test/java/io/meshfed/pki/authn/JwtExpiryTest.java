package io.meshfed.pki.authn;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The unverified {@code exp} claim: read where a JWT states one, nothing invented where it does not. */
class JwtExpiryTest {

    static String jwt(String payloadJson) {
        Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
        return b64.encodeToString("{\"alg\":\"ES256\"}".getBytes(StandardCharsets.UTF_8)) + "."
                + b64.encodeToString(payloadJson.getBytes(StandardCharsets.UTF_8)) + ".c2lnbmF0dXJl";
    }

    @Test
    void readsTheExpiryOfAJwt() {
        assertEquals(Optional.of(Instant.ofEpochSecond(1_900_000_000L)),
                JwtExpiry.of(jwt("{\"aud\":[\"meshfed-pki\"],\"exp\":1900000000,\"sub\":\"x\"}")));
    }

    @Test
    void statesNothingForWhatIsNotAJwtWithAnIntegralExpiry() {
        for (String token : new String[] {"opaque-token", "a.b", "a.b.c.d", jwt("{\"sub\":\"x\"}"),
            jwt("{\"exp\":\"soon\"}"), jwt("{\"exp\":1.5e9}"), jwt("not json"), "a.!!!.c",
            jwt("{\"exp\":99999999999999999999999}")}) {
            assertEquals(Optional.empty(), JwtExpiry.of(token), token);
        }
    }
}
