package io.meshfed.export;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import io.meshfed.model.ClusterCredentials;
import io.meshfed.store.status.ClusterStatusWriter;
import io.meshfed.store.status.ClusterStatusWriter.CatalogStatus;
import io.meshfed.store.status.ClusterStatusWriter.Condition;
import io.meshfed.store.status.ClusterStatusWriter.ConditionStatus;
import io.meshfed.store.status.ClusterStatusWriter.Report;
import io.meshfed.testsupport.MutableClock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** What a sync reports on the cluster's status, in order: synced with the time of the read, failed keeping it. */
class CatalogSyncStatusTest {
    private static final Instant T0 = Instant.parse("2026-01-01T10:00:00Z");

    record Reported(String cluster, Report report) {
    }

    private final InMemoryClusterStore clusters = new InMemoryClusterStore();
    private final InMemoryCatalogStore catalogs = new InMemoryCatalogStore();
    private final CatalogSyncTest.ScriptedReader reader = new CatalogSyncTest.ScriptedReader();
    private final MutableClock clock = new MutableClock(T0);
    private final List<Reported> reported = new ArrayList<>();
    private final CatalogSync sync = new CatalogSync(clusters, catalogs, reader, clock, (cluster, report) -> {
        reported.add(new Reported(cluster, report));
        return true;
    });

    @BeforeEach
    void register() {
        clusters.put(CatalogSyncTest.cluster("east", "10.9.0.1"), Optional.of(ClusterCredentials.ofToken("t0ken")));
    }

    @Test
    void syncedThenUnchangedThenFailedKeepsTheTimeOfTheLastGoodSync() {
        reader.next(CatalogSyncTest.reviews("10.0.0.1"));
        sync.sync("east");
        clock.advance(Duration.ofMinutes(5));
        reader.next(CatalogSyncTest.reviews("10.0.0.1"));
        sync.sync("east");
        clock.advance(Duration.ofMinutes(5));
        reader.fail(FailureReason.NO_CREDENTIALS, "no credentials");
        assertInstanceOf(SyncResult.Failed.class, sync.sync("east"));

        Condition synced = new Condition(ClusterStatusWriter.CATALOG_SYNCED, ConditionStatus.TRUE, "Synced",
                "1 exported services read");
        assertEquals(List.of(
                new Reported("east", new Report(List.of(synced), List.of(), Optional.of(new CatalogStatus(T0, 1)),
                        Optional.empty())),
                new Reported("east", new Report(List.of(synced), List.of(),
                        Optional.of(new CatalogStatus(T0.plusSeconds(300), 1)), Optional.empty())),
                new Reported("east", new Report(List.of(new Condition(ClusterStatusWriter.CATALOG_SYNCED,
                        ConditionStatus.FALSE, "NoCredentials", "no credentials; serving the catalog read at "
                                + T0 + ", stale since " + T0.plusSeconds(600))),
                        List.of(ClusterStatusWriter.CATALOG_FIELD), Optional.empty(), Optional.empty()))), reported);
    }

    @Test
    void aFailedStatusWriteLeavesTheSyncAsItWas() {
        CatalogSync failing = new CatalogSync(clusters, catalogs, reader, clock, (cluster, report) -> {
            throw new IllegalStateException("403 Forbidden");
        });
        reader.next(CatalogSyncTest.reviews("10.0.0.1"));
        assertInstanceOf(SyncResult.Changed.class, failing.sync("east"));
        assertEquals(1, catalogs.get("east").orElseThrow().version());
    }
}
