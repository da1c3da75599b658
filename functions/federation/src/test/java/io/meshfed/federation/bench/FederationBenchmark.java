package io.meshfed.federation.bench;

import io.meshfed.federation.FederationConfig;
import io.meshfed.federation.FederationDelta;
import io.meshfed.federation.FederationState;
import io.meshfed.federation.Fixtures;
import io.meshfed.federation.IstioFederationTranslator;
import io.meshfed.model.ClusterCatalog;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Federation translation at scale: {@code clusters} clusters (on 10 networks, 3 regions) each exporting
 * {@code services} services (the same names in every cluster, 3 endpoints each, two versions).
 * Run: see docs/benchmarks.md, section "Federation translator".
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@Fork(value = 1, jvmArgsAppend = {"-Xmx6g", "-XX:+UseParallelGC"})
@Warmup(iterations = 2, time = 5)
@Measurement(iterations = 3, time = 5)
public class FederationBenchmark {
    private static final int NETWORKS = 10;
    private static final int ENDPOINTS = 3;

    @Param({"10", "30", "100"})
    public int clusters;

    @Param({"1000"})
    public int services;

    private final IstioFederationTranslator translator = new IstioFederationTranslator();
    private final Instant now = Fixtures.T0;
    private List<ClusterCatalog> catalogs;
    private List<ClusterCatalog> changedA;
    private List<ClusterCatalog> changedB;
    private FederationState state;
    private boolean flip;

    @Setup(Level.Trial)
    public void setUp() {
        catalogs = Fixtures.federation(clusters, NETWORKS, services, ENDPOINTS);
        // One service (svc-7) of one cluster (cluster-5 % clusters) moves one endpoint, back and forth.
        int c = 5 % clusters;
        changedA = new ArrayList<>(catalogs);
        changedA.set(c, Fixtures.syntheticCatalog(c, NETWORKS, services, ENDPOINTS, 2, 1, 7));
        changedB = new ArrayList<>(catalogs);
        changedB.set(c, Fixtures.syntheticCatalog(c, NETWORKS, services, ENDPOINTS, 3, 0, 7));
        state = translator.newState(Fixtures.clusterName(0));
        state.update(changedB, now);
    }

    @Benchmark
    @OutputTimeUnit(TimeUnit.MILLISECONDS)
    public FederationConfig fullTranslationOneTarget() {
        return translator.translate(catalogs, Fixtures.clusterName(0), now);
    }

    @Benchmark
    @OutputTimeUnit(TimeUnit.MILLISECONDS)
    public Map<String, FederationConfig> fullTranslationAllTargets() {
        return translator.translateAll(catalogs, now);
    }

    /** One service of one cluster changed: the delta for the target (what the xDS bridge pushes). */
    @Benchmark
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public FederationDelta incrementalOneServiceChanged() {
        flip = !flip;
        return state.update(flip ? changedA : changedB, now);
    }

    /** The full config after an incremental update (what a state-of-the-world push needs). */
    @Benchmark
    @OutputTimeUnit(TimeUnit.MILLISECONDS)
    public FederationConfig snapshotAfterUpdate() {
        return state.snapshot();
    }
}
