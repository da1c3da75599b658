package io.meshfed.model;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * Where a cluster or endpoint runs: a region and, optionally, a zone (Istio/Envoy locality without sub-zone).
 * Equality is by value; {@link #toString()} is Istio's "region/zone" form.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Locality(String region, String zone) {
    public Locality {
        zone = zone == null || zone.isBlank() ? null : zone;
        validate(region, zone).throwIfAny();
    }

    public static Locality of(String region) {
        return new Locality(region, null);
    }

    public static Violations validate(String region, String zone) {
        Violations v = new Violations().check("region", Rules.localityPart(region));
        if (zone != null && !zone.isBlank()) {
            v.check("zone", Rules.localityPart(zone));
        }
        return v;
    }

    /** The same locality with another zone; an empty or null zone keeps this one's. */
    public Locality withZone(String otherZone) {
        return otherZone == null || otherZone.isBlank() ? this : new Locality(region, otherZone);
    }

    @Override
    public String toString() {
        return zone == null ? region : region + "/" + zone;
    }
}
