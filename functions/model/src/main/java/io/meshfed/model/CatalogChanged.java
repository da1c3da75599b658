package io.meshfed.model;

/**
 * Data of {@code io.meshfed.catalog.changed} (subject: the cluster). A hint, not the state: consumers read
 * the catalog from the store. {@code removed} is true when the cluster's catalog was deleted (the cluster
 * was deregistered); {@code version} and {@code contentHash} then name the last catalog that existed.
 */
public record CatalogChanged(String cluster, long version, String contentHash, boolean removed) {
    public CatalogChanged {
        new Violations().check("cluster", Rules.dns1123Label(cluster)).throwIfAny();
    }
}
