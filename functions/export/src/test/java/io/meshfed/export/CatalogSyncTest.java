package io.meshfed.export;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.meshfed.model.ApiServerRef;
import io.meshfed.model.CatalogChanged;
import io.meshfed.model.CatalogHash;
import io.meshfed.model.ClusterCatalog;
import io.meshfed.model.ClusterCredentials;
import io.meshfed.model.ExportedService;
import io.meshfed.model.GatewayAddress;
import io.meshfed.model.Locality;
import io.meshfed.model.MeshCluster;
import io.meshfed.model.ServiceEndpoint;
import io.meshfed.model.ServicePort;
import io.meshfed.store.ConcurrentChangeException;
import io.meshfed.testsupport.MutableClock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class CatalogSyncTest {
    private static final String CA = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
    private static final Instant T0 = Instant.parse("2026-01-01T10:00:00Z");

    private final InMemoryClusterStore clusters = new InMemoryClusterStore();
    private final InMemoryCatalogStore catalogs = new InMemoryCatalogStore();
    private final ScriptedReader reader = new ScriptedReader();
    private final MutableClock clock = new MutableClock(T0);
    private final CatalogSync sync = new CatalogSync(clusters, catalogs, reader, clock);
    private final MeshCluster east = cluster("east", "10.9.0.1");

    @BeforeEach
    void register() {
        clusters.put(east, Optional.of(ClusterCredentials.ofToken("t0ken")));
    }

    @Test
    void firstSyncStoresVersionOneAndAnnouncesIt() {
        reader.next(reviews("10.0.0.1"));
        SyncResult result = sync.sync("east");

        ClusterCatalog stored = catalogs.get("east").orElseThrow();
        assertEquals(ClusterCatalog.fresh(east.federated(), List.of(reviewsService("10.0.0.1")), 1, T0), stored);
        assertEquals(new SyncResult.Changed(new CatalogChanged("east", 1, stored.contentHash(), false)), result);
        assertEquals(List.of("put east v1"), catalogs.writes());
    }

    @Test
    void anUnchangedReadWritesNothingAndAnnouncesNothing() {
        reader.next(reviews("10.0.0.1"));
        sync.sync("east");
        clock.advance(Duration.ofMinutes(1));
        reader.next(reviews("10.0.0.1"));

        assertEquals(new SyncResult.Unchanged("east"), sync.sync("east"));
        assertEquals(List.of("put east v1"), catalogs.writes());
        assertEquals(T0, catalogs.get("east").orElseThrow().lastGoodRead());
    }

    @Test
    void aChangedReadBumpsTheVersionByOne() {
        reader.next(reviews("10.0.0.1"));
        sync.sync("east");
        clock.advance(Duration.ofMinutes(1));
        reader.next(reviews("10.0.0.2"));

        SyncResult result = sync.sync("east");
        ClusterCatalog stored = catalogs.get("east").orElseThrow();
        assertEquals(ClusterCatalog.fresh(east.federated(), List.of(reviewsService("10.0.0.2")), 2, T0.plusSeconds(60)), stored);
        assertEquals(new SyncResult.Changed(new CatalogChanged("east", 2, stored.contentHash(), false)), result);
    }

    @Test
    void aFailedReadKeepsTheCatalogMarksItStaleOnceAndReportsEachFailure() {
        reader.next(reviews("10.0.0.1"));
        sync.sync("east");
        clock.advance(Duration.ofMinutes(1));
        reader.fail(FailureReason.SERVER_ERROR, "answered 503");

        SyncResult first = sync.sync("east");
        Instant failedAt = T0.plusSeconds(60);
        ClusterCatalog stale = catalogs.get("east").orElseThrow();
        assertEquals(new ClusterCatalog(east.federated(), List.of(reviewsService("10.0.0.1")), 2, null, T0, failedAt), stale);
        assertEquals(new SyncResult.Failed(new ExportFailed("east", FailureReason.SERVER_ERROR, "answered 503",
                failedAt, T0, 2)), first);

        clock.advance(Duration.ofMinutes(1));
        reader.fail(FailureReason.UNAUTHORIZED, "answered 401");
        SyncResult second = sync.sync("east");
        assertEquals(new SyncResult.Failed(new ExportFailed("east", FailureReason.UNAUTHORIZED, "answered 401",
                failedAt, T0, 2)), second);
        assertEquals(List.of("put east v1", "put east v2"), catalogs.writes());
    }

    @Test
    void recoveryClearsStalenessEvenWhenTheContentIsTheSame() {
        reader.next(reviews("10.0.0.1"));
        sync.sync("east");
        reader.fail(FailureReason.TIMEOUT, "no answer");
        sync.sync("east");
        clock.advance(Duration.ofMinutes(5));
        reader.next(reviews("10.0.0.1"));

        SyncResult result = sync.sync("east");
        ClusterCatalog stored = catalogs.get("east").orElseThrow();
        assertEquals(ClusterCatalog.fresh(east.federated(), List.of(reviewsService("10.0.0.1")), 3, T0.plusSeconds(300)), stored);
        assertEquals(new SyncResult.Changed(new CatalogChanged("east", 3, stored.contentHash(), false)), result);
    }

    @Test
    void aFailureBeforeAnyCatalogWritesNothing() {
        reader.fail(FailureReason.UNREACHABLE, "connection refused");
        assertEquals(new SyncResult.Failed(new ExportFailed("east", FailureReason.UNREACHABLE, "connection refused",
                null, null, 0)), sync.sync("east"));
        assertEquals(List.of(), catalogs.writes());
    }

    @Test
    void missingCredentialsAreAFailureNotAnEmptyCatalog() {
        clusters.put(east, Optional.empty());
        SyncResult result = sync.sync("east");
        assertEquals(FailureReason.NO_CREDENTIALS, assertInstanceOf(SyncResult.Failed.class, result).failure().reason());
        assertEquals(0, reader.reads);
    }

    @Test
    void aClusterWithoutApiAccessHasAnEmptyCatalogAndIsNeverRead() {
        MeshCluster consumer = new MeshCluster("edge", "net-edge", Locality.of("eu-west1"),
                new GatewayAddress("edge-gw.example.com", 15443), "edge.example.org", null);
        clusters.put(consumer, Optional.empty());
        sync.sync("edge");
        assertEquals(new ClusterCatalog(consumer, List.of(), 1, null, null, null), catalogs.get("edge").orElseThrow());
        assertEquals(new SyncResult.Unchanged("edge"), sync.sync("edge"));
        assertEquals(0, reader.reads);
    }

    @Test
    void aRaceLostToAnotherWriterRedoesTheRemoteReadAndNeverRollsBack() {
        reader.next(reviews("10.0.0.1"));
        sync.sync("east");
        // This sync reads .2, but before it writes another sync stores .3 (a newer read) as version 2.
        reader.next(reviews("10.0.0.2"));
        ClusterCatalog newer = ClusterCatalog.fresh(east.federated(), List.of(reviewsService("10.0.0.3")), 2, T0);
        catalogs.beforeNextPut(() -> catalogs.force(newer));
        reader.next(reviews("10.0.0.3"));

        assertEquals(new SyncResult.Unchanged("east"), sync.sync("east"));
        assertEquals(newer, catalogs.get("east").orElseThrow());
        assertEquals(3, reader.reads);
    }

    @Test
    void givesUpWithConcurrentChangeWhenEveryAttemptLoses() {
        reader.next(reviews("10.0.0.1"));
        sync.sync("east");
        for (int i = 0; i < CatalogSync.MAX_ATTEMPTS; i++) {
            reader.next(reviews("10.0.1." + i));
        }
        loseEveryPut(CatalogSync.MAX_ATTEMPTS);
        assertThrows(ConcurrentChangeException.class, () -> sync.sync("east"));
    }

    private void loseEveryPut(int remaining) {
        if (remaining == 0) {
            return;
        }
        catalogs.beforeNextPut(() -> {
            ClusterCatalog c = catalogs.get("east").orElseThrow();
            catalogs.force(new ClusterCatalog(c.cluster(), c.services(), c.version() + 1, null, c.lastGoodRead(), null));
            loseEveryPut(remaining - 1);
        });
    }

    @Test
    void aChangedRegistrationIsStoredEvenWhileTheClusterCannotBeRead() {
        reader.next(reviews("10.0.0.1"));
        sync.sync("east");
        reader.fail(FailureReason.TIMEOUT, "no answer");
        sync.sync("east");
        MeshCluster moved = cluster("east", "10.9.0.2");
        clusters.put(moved, Optional.of(ClusterCredentials.ofToken("t0ken")));
        reader.fail(FailureReason.TIMEOUT, "no answer");

        assertInstanceOf(SyncResult.Failed.class, sync.registered("east", 2));
        assertEquals(new ClusterCatalog(moved.federated(), List.of(reviewsService("10.0.0.1")), 3, null, T0, T0),
                catalogs.get("east").orElseThrow());
    }

    @Test
    void deregistrationRemovesTheCatalogAndAnnouncesTheLastVersion() {
        reader.next(reviews("10.0.0.1"));
        sync.sync("east");
        String hash = catalogs.get("east").orElseThrow().contentHash();
        clusters.delete("east");

        assertEquals(new SyncResult.Changed(new CatalogChanged("east", 1, hash, true)), sync.deregistered("east"));
        assertEquals(Optional.empty(), catalogs.get("east"));
        assertEquals(new SyncResult.Unchanged("east"), sync.deregistered("east"));
    }

    @Test
    void aDeregistrationOvertakenByAReRegistrationIsIgnored() {
        reader.next(reviews("10.0.0.1"));
        sync.sync("east");
        assertEquals(new SyncResult.Unchanged("east"), sync.deregistered("east"));
        assertEquals(1, catalogs.get("east").orElseThrow().version());
    }

    @Test
    void aSyncOfAnUnregisteredClusterRemovesItsLeftoverCatalogOrIsRefused() {
        reader.next(reviews("10.0.0.1"));
        sync.sync("east");
        clusters.delete("east");
        assertEquals(true, sync.sync("east") instanceof SyncResult.Changed c && c.change().removed());
        UnknownClusterException e = assertThrows(UnknownClusterException.class, () -> sync.sync("east"));
        assertEquals("cluster 'east' is not registered", e.getMessage());
        assertThrows(UnknownClusterException.class, () -> sync.registered("nowhere", 1));
    }

    @Test
    void theHashCoversTheClusterSoAGatewayMoveIsAChange() {
        reader.next(reviews("10.0.0.1"));
        sync.sync("east");
        MeshCluster moved = cluster("east", "10.9.0.2");
        clusters.put(moved, Optional.of(ClusterCredentials.ofToken("t0ken")));
        reader.next(reviews("10.0.0.1"));
        SyncResult result = sync.registered("east", 2);
        assertEquals(new SyncResult.Changed(new CatalogChanged("east", 2,
                CatalogHash.of(moved.federated(), List.of(reviewsService("10.0.0.1"))), false)), result);
    }

    @Test
    void movingTheApiServerOrRotatingItsCaChangesNoCatalogAndTheCatalogCarriesNeither() {
        reader.next(reviews("10.0.0.1"));
        sync.sync("east");
        ClusterCatalog before = catalogs.get("east").orElseThrow();
        assertEquals(null, before.cluster().apiServer(), "how meshfed reaches east is not federation content");

        MeshCluster moved = new MeshCluster("east", east.network(), east.locality(), east.eastWestGateway(),
                east.trustDomain(), new ApiServerRef("https://east-new.example.org:6443", CA,
                        "east-credentials-2"));
        clusters.put(moved, Optional.of(ClusterCredentials.ofToken("t0ken")));
        reader.next(reviews("10.0.0.1"));
        assertEquals(new SyncResult.Unchanged("east"), sync.registered("east", 2));
        assertEquals(before, catalogs.get("east").orElseThrow(), "same version, same hash: nothing re-sent");

        // While the cluster cannot be read, the same holds: no registration-only rewrite of the stale catalog.
        reader.fail(FailureReason.TIMEOUT, "slow");
        sync.sync("east");
        ClusterCatalog stale = catalogs.get("east").orElseThrow();
        reader.fail(FailureReason.TIMEOUT, "slow");
        clusters.put(east, Optional.of(ClusterCredentials.ofToken("t0ken")));
        sync.registered("east", 3);
        assertEquals(stale, catalogs.get("east").orElseThrow());
    }

    static MeshCluster cluster(String name, String gateway) {
        return new MeshCluster(name, "net-" + name, new Locality("us-east1", "us-east1-b"),
                new GatewayAddress(gateway, 15443), name + ".example.org",
                new ApiServerRef("https://" + name + ".example.org:6443", CA, name + "-credentials"));
    }

    private static ExportedService reviewsService(String address) {
        return new ExportedService("shop", "reviews", List.of(new ServicePort("http", 9080, "HTTP", 9080)),
                List.of(new ServiceEndpoint(address, new Locality("us-east1", "us-east1-c"), true, Map.of("app", "reviews"))));
    }

    /** shop/reviews with one ready endpoint at {@code address} in us-east1-c, as a workload cluster lists it. */
    static WorkloadState reviews(String address) {
        return new WorkloadState(
                List.of(Workloads.service("shop", "reviews", true, Map.of("app", "reviews"),
                        Workloads.port("http", 9080, 9080, null))),
                List.of(),
                List.of(Workloads.slice("shop", "reviews-1", "reviews",
                        List.of(Workloads.endpoint(address, true, "us-east1-c", null, "shop", "r1")), "http", 9080)),
                Map.of("shop/r1", Workloads.pod("shop", "r1", Map.of("app", "reviews"))),
                Map.of());
    }

    /** Answers reads from a script, in order. */
    static final class ScriptedReader implements WorkloadClusterReader {
        private final List<Object> script = new ArrayList<>();
        int reads;

        void next(WorkloadState state) {
            script.add(state);
        }

        void fail(FailureReason reason, String message) {
            script.add(new RemoteReadException(reason, message, null));
        }

        @Override
        public synchronized WorkloadState read(MeshCluster cluster, ClusterCredentials credentials)
                throws RemoteReadException {
            reads++;
            Object next = script.remove(0);
            if (next instanceof RemoteReadException e) {
                throw e;
            }
            return (WorkloadState) next;
        }
    }
}
