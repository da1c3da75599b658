package io.meshfed.pki.agent;

import io.meshfed.model.Rules;
import io.meshfed.pki.ca.KeyAlgorithm;
import java.time.Duration;

/**
 * What one cluster's agent asks for and how patiently.
 *
 * @param cluster the registered cluster name
 * @param trustDomain the cluster's SPIFFE trust domain (goes into the CSR's subject and SAN)
 * @param keyAlgorithm the intermediate's key type
 * @param lifetime requested lifetime; null lets the PKI policy decide (its maximum)
 * @param refreshInterval how often a healthy agent replays its request to learn about root rotations
 * @param backoffInitial first retry delay after a failure
 * @param backoffMax the retry delay never exceeds this
 */
public record AgentSettings(String cluster, String trustDomain, KeyAlgorithm keyAlgorithm, Duration lifetime,
        Duration refreshInterval, Duration backoffInitial, Duration backoffMax) {

    public AgentSettings {
        Rules.dns1123Label(cluster).ifPresent(p -> {
            throw new IllegalArgumentException("cluster " + p);
        });
        Rules.trustDomain(trustDomain).ifPresent(p -> {
            throw new IllegalArgumentException("trustDomain " + p);
        });
        if (keyAlgorithm == null || refreshInterval == null || backoffInitial == null || backoffMax == null) {
            throw new IllegalArgumentException("keyAlgorithm, refreshInterval and backoff settings are required");
        }
        if (backoffInitial.compareTo(backoffMax) > 0 || backoffInitial.isZero() || backoffInitial.isNegative()) {
            throw new IllegalArgumentException("backoff must satisfy 0 < initial <= max");
        }
    }

    public static AgentSettings defaults(String cluster, String trustDomain) {
        return new AgentSettings(cluster, trustDomain, KeyAlgorithm.ECDSA_P256, null, Duration.ofMinutes(10),
                Duration.ofSeconds(1), Duration.ofMinutes(5));
    }
}
