package io.meshfed.xds.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Any;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.extensions.clusters.aggregate.v3.ClusterConfig;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * A snapshot whose aggregate cluster names a cluster it does not hold cannot exist: neither built whole nor derived
 * by removing a member that an unchanged aggregate still names.
 */
class AggregateConsistencyTest {
    static Resource aggregate(String name, String... members) {
        return Resource.pack(name, Cluster.newBuilder().setName(name)
                .setClusterType(Cluster.CustomClusterType.newBuilder().setName(Snapshot.AGGREGATE)
                        .setTypedConfig(Any.pack(ClusterConfig.newBuilder().addAllClusters(List.of(members)).build())))
                .build());
    }

    static Resource dns(String name) {
        return Resource.pack(name, Cluster.newBuilder().setName(name).setType(Cluster.DiscoveryType.LOGICAL_DNS).build());
    }

    static Map<String, TypeSnapshot> clusters(Resource... rs) {
        return Map.of(TypeUrls.key(TypeUrls.CLUSTER), TypeSnapshot.of(List.of(rs)));
    }

    @Test
    void anAggregateNamingAMissingClusterIsRefused() {
        InconsistentSnapshotException e = assertThrows(InconsistentSnapshotException.class,
                () -> Snapshot.of(clusters(aggregate("a", "m1", "m2"), dns("m1"))));
        assertTrue(e.getMessage().contains("aggregate cluster 'a' names cluster 'm2', which is not in the snapshot"),
                e.getMessage());
        Snapshot.of(clusters(aggregate("a", "m1", "m2"), dns("m1"), dns("m2")));
    }

    @Test
    void removingAMemberAnUnchangedAggregateNamesIsRefused() {
        Snapshot whole = Snapshot.of(clusters(aggregate("a", "m1", "m2"), dns("m1"), dns("m2")));
        String key = TypeUrls.key(TypeUrls.CLUSTER);
        TypeSnapshot without = whole.resources(TypeUrls.CLUSTER).with(List.of(), Set.of("m2"));
        assertThrows(InconsistentSnapshotException.class,
                () -> whole.with(Map.of(key, without), Map.of(key, List.of()), Map.of(key, Set.of("m2"))));
        // removing it together with the aggregate's new member list is fine; a name that was never there is no change
        Resource shorter = aggregate("a", "m1");
        TypeSnapshot both = whole.resources(TypeUrls.CLUSTER).with(List.of(shorter), Set.of("m2", "never"));
        Snapshot s = whole.with(Map.of(key, both), Map.of(key, List.of("a")), Map.of(key, Set.of("m2", "never")));
        assertEquals(Set.of("a", "m1"), s.resources(TypeUrls.CLUSTER).resources().keySet());
    }
}
