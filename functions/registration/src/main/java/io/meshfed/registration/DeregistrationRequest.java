package io.meshfed.registration;

/** Data of {@code io.meshfed.cluster.deregistration.requested}: the cluster to remove. */
public record DeregistrationRequest(String name) {
}
