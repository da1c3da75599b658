package io.meshfed.pki.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The PKI figure in one command: meshfed's whole ECDSA P-256 check-and-sign path (authentication from its cache
 * included, {@link CpuTimeRates#pathOf}) against {@code openssl speed ecdsap256} on the same machine, interleaved
 * round by round so that the machine's drift hits both sides alike. Each round runs openssl, then meshfed, then
 * openssl again, and compares meshfed's operations per CPU-second with the mean of the two openssl references,
 * each {@code 1 / (1/sign + 1/verify)} (one signature verified and one made per request). Prints every round and
 * the range of the ratio.
 *
 * <p>Arguments: rounds (default 5), seconds per measurement (default 3), JCA provider (default conscrypt, the
 * function's default). Run through the bench profile with {@code -Dbench.main=io.meshfed.pki.bench.OpensslRatio}.
 */
public final class OpensslRatio {
    static {
        System.setProperty("java.util.logging.manager", "org.jboss.logmanager.LogManager");
    }

    private static final Pattern ROW = Pattern.compile(
            "^\\s*256 bits ecdsa \\(nistp256\\)\\s+\\S+s\\s+\\S+s\\s+([0-9.]+)\\s+([0-9.]+)\\s*$");

    private OpensslRatio() {
    }

    /** openssl's sign/s and verify/s for ECDSA P-256, per CPU-second (its default timing). */
    record Openssl(double sign, double verify) {
        double reference() {
            return 1 / (1 / sign + 1 / verify);
        }
    }

    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        String providerName = args.length > 2 ? args[2] : "conscrypt";
        java.util.logging.Logger.getLogger("io.meshfed").setLevel(java.util.logging.Level.WARNING);
        var path = CpuTimeRates.pathOf(io.meshfed.pki.ca.KeyAlgorithm.ECDSA_P256,
                CsrSigningBenchmark.provider(providerName));
        System.out.println("java " + System.getProperty("java.version") + ", " + opensslVersion() + ", provider "
                + providerName + ", " + rounds + " rounds of " + seconds + " s");
        System.out.printf(Locale.ROOT, "%5s %12s %12s %14s %14s %16s %8s%n", "round", "openssl sign", "verify",
                "reference/s", "(after)", "meshfed/CPU-s", "ratio");
        List<Double> ratios = new ArrayList<>();
        List<Double> ours = new ArrayList<>();
        for (int round = 1; round <= rounds; round++) {
            Openssl before = openssl(seconds);
            double meshfed = CpuTimeRates.rate(seconds, path);
            Openssl after = openssl(seconds);
            double reference = (before.reference() + after.reference()) / 2;
            double ratio = meshfed / reference;
            ratios.add(ratio);
            ours.add(meshfed);
            System.out.printf(Locale.ROOT, "%5d %12.0f %12.0f %14.0f %14.0f %16.0f %7.1f%%%n", round, before.sign(),
                    before.verify(), before.reference(), after.reference(), meshfed, ratio * 100);
        }
        System.out.printf(Locale.ROOT, "check-and-sign: %.0f-%.0f per CPU-second; ratio to openssl: %.1f-%.1f %%"
                + " (median %.1f %%) over %d rounds%n", min(ours), max(ours), min(ratios) * 100, max(ratios) * 100,
                median(ratios) * 100, rounds);
    }

    static Openssl openssl(int seconds) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("openssl", "speed", "-seconds", String.valueOf(seconds), "ecdsap256")
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(seconds * 4L + 30, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException("openssl speed failed:\n" + out);
        }
        for (String line : out.split("\n")) {
            Matcher m = ROW.matcher(line);
            if (m.matches()) {
                return new Openssl(Double.parseDouble(m.group(1)), Double.parseDouble(m.group(2)));
            }
        }
        throw new IllegalStateException("no 'ecdsa (nistp256)' row in openssl speed's output:\n" + out);
    }

    private static String opensslVersion() throws IOException, InterruptedException {
        Process p = new ProcessBuilder("openssl", "version").redirectErrorStream(true).start();
        String v = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        p.waitFor();
        return v;
    }

    private static double min(List<Double> xs) {
        return xs.stream().mapToDouble(Double::doubleValue).min().orElse(Double.NaN);
    }

    private static double max(List<Double> xs) {
        return xs.stream().mapToDouble(Double::doubleValue).max().orElse(Double.NaN);
    }

    private static double median(List<Double> xs) {
        List<Double> sorted = xs.stream().sorted().toList();
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }
}
