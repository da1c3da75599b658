package io.meshfed.pki.signing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The hand-written validity times equal what a DateTimeFormatter and Bouncy Castle's parser make of them. */
class ValidityTimeTest {
    private static final DateTimeFormatter UTC_TIME = DateTimeFormatter.ofPattern("yyMMddHHmmss'Z'")
            .withZone(ZoneOffset.UTC);
    private static final DateTimeFormatter GENERALIZED_TIME = DateTimeFormatter.ofPattern("yyyyMMddHHmmss'Z'")
            .withZone(ZoneOffset.UTC);

    @Test
    void utcTimeThrough2049GeneralizedTimeAfter() throws Exception {
        SplittableRandom random = new SplittableRandom(5);
        long from = Instant.parse("1950-01-01T00:00:00Z").getEpochSecond();
        long to = Instant.parse("9999-12-31T23:59:59Z").getEpochSecond();
        for (int i = 0; i < 20_000; i++) {
            Instant instant = Instant.ofEpochSecond(random.nextLong(from, to + 1), random.nextInt(1_000_000_000));
            check(instant);
        }
        check(Instant.parse("2049-12-31T23:59:59.999Z"));
        check(Instant.parse("2050-01-01T00:00:00Z"));
        check(Instant.parse("1950-01-01T00:00:00Z"));
    }

    private static void check(Instant instant) throws Exception {
        Instant seconds = instant.truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
        boolean utc = seconds.atZone(ZoneOffset.UTC).getYear() < 2050;
        byte[] der = IntermediateSigner.timeDer(instant);
        String text = (utc ? UTC_TIME : GENERALIZED_TIME).format(seconds);
        assertEquals(utc ? 0x17 : 0x18, der[0], instant.toString());
        assertEquals(text.length(), der[1], instant.toString());
        assertEquals(text, new String(der, 2, der.length - 2, StandardCharsets.US_ASCII), instant.toString());
        org.bouncycastle.asn1.x509.Time parsed = org.bouncycastle.asn1.x509.Time.getInstance(
                org.bouncycastle.asn1.ASN1Primitive.fromByteArray(der));
        assertEquals(seconds, parsed.getDate().toInstant(), instant.toString());
    }
}
