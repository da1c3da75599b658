package io.meshfed.xds.app;

import io.meshfed.xds.protocol.AdsObserver;
import io.meshfed.xds.protocol.XdsMetrics;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.ToDoubleFunction;

/**
 * The ADS streams' metrics as docs/observability.md names them ("xDS bridge"): {@code meshfed_xds_pushes_total} and
 * {@code meshfed_xds_rejects_total} per cluster and type, {@code meshfed_xds_push_ack_seconds} per type,
 * {@code meshfed_xds_connected_clients} per cluster and kind, {@code meshfed_xds_sent_bytes_total} per type; and the
 * protocol layer's own counters ({@link XdsMetrics}: flow control, refused streams) under their names.
 *
 * <p>Labels are bounded: {@code type} is an Envoy type's message name or an Istio Kind, and past
 * {@value #MAX_TYPES} distinct names (istiod asks for about 30 Kinds; an authenticated client could invent more)
 * {@code other}; {@code cluster} is a cluster the stream was identified as, so a registered one. A cluster's
 * connected-clients series stay once it had a stream, at 0 when none is open, so "no istiod connected" is a value
 * and not a missing series. {@link #close} removes every meter it registered (a registry may outlive the app: Quarkus
 * injects Micrometer's global one). Thread-safe.
 */
public final class BridgeMetrics implements AdsObserver, AutoCloseable {
    static final int MAX_TYPES = 64;
    static final String OTHER = "other";
    /** Bucket bounds of the push-to-ACK histogram, as istiod's convergence time has them, and a few below. */
    static final Duration[] ACK_BUCKETS = {Duration.ofMillis(1), Duration.ofMillis(5), Duration.ofMillis(10),
        Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(500), Duration.ofSeconds(1),
        Duration.ofSeconds(3), Duration.ofSeconds(5), Duration.ofSeconds(10), Duration.ofSeconds(20),
        Duration.ofSeconds(30)};

    private final MeterRegistry registry;
    private final Set<String> types = ConcurrentHashMap.newKeySet();
    private final Map<String, Counter> pushes = new ConcurrentHashMap<>();
    private final Map<String, Counter> rejects = new ConcurrentHashMap<>();
    private final Map<String, Counter> sentBytes = new ConcurrentHashMap<>();
    private final Map<String, Timer> ackTimes = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> connected = new ConcurrentHashMap<>();
    private final java.util.Queue<Meter> registered = new java.util.concurrent.ConcurrentLinkedQueue<>();

    public BridgeMetrics(MeterRegistry registry, XdsMetrics protocol) {
        this.registry = registry;
        counter("meshfed.xds.streams.opened", "ADS streams accepted by the transport, identified or not", protocol,
                XdsMetrics::streamsOpened);
        counter("meshfed.xds.rejected.streams", "ADS streams ended with an error status", protocol,
                XdsMetrics::rejectedStreams);
        counter("meshfed.xds.unknown.locality.streams",
                "streams served from another locality's group than the one they sent", protocol,
                XdsMetrics::unknownLocalityStreams);
        counter("meshfed.xds.responses.held.for.answer",
                "changes held back because the type's previous response awaited its ACK or NACK", protocol,
                XdsMetrics::responsesHeldForAnswer);
        counter("meshfed.xds.responses.held.for.transport",
                "changes held back because the client's write queue was full", protocol,
                XdsMetrics::responsesHeldForTransport);
        keep(Gauge.builder("meshfed.xds.responses.awaiting.answer", protocol, XdsMetrics::responsesAwaitingAnswer)
                .description("responses written and not yet ACKed or NACKed").register(registry));
        keep(Gauge.builder("meshfed.xds.response.bytes.in.flight", protocol, XdsMetrics::responseBytesInFlight)
                .description("bytes of responses handed to connections and not yet written").register(registry));
    }

    private <M extends Meter> M keep(M meter) {
        registered.add(meter);
        return meter;
    }

    @Override
    public void close() {
        for (Meter m; (m = registered.poll()) != null; ) {
            registry.remove(m);
        }
    }

    private void counter(String name, String help, XdsMetrics protocol, ToDoubleFunction<XdsMetrics> f) {
        keep(FunctionCounter.builder(name, protocol, f).description(help).register(registry));
    }

    /** The label of {@code typeUrl}: its short name, or {@value #OTHER} once {@value #MAX_TYPES} are in use. */
    String typeLabel(String typeUrl) {
        String name = AdsObserver.typeName(typeUrl);
        if (types.contains(name)) {
            return name;
        }
        synchronized (types) {
            if (types.size() >= MAX_TYPES) {
                return OTHER;
            }
            types.add(name);
            return name;
        }
    }

    @Override
    public void streamOpened(String cluster, ClientKind kind) {
        connected(cluster, kind).incrementAndGet();
    }

    @Override
    public void streamClosed(String cluster, ClientKind kind) {
        connected(cluster, kind).decrementAndGet();
    }

    private AtomicInteger connected(String cluster, ClientKind kind) {
        return connected.computeIfAbsent(cluster + '\n' + kind.label(), k -> {
            AtomicInteger n = new AtomicInteger();
            keep(Gauge.builder("meshfed.xds.connected.clients", n, AtomicInteger::get)
                    .description("open ADS streams").tags("cluster", cluster, "kind", kind.label())
                    .register(registry));
            return n;
        });
    }

    @Override
    public void responseSent(String cluster, ClientKind kind, String typeUrl, int bytes) {
        String type = typeLabel(typeUrl);
        pushes.computeIfAbsent(cluster + '\n' + type, k -> keep(Counter.builder("meshfed.xds.pushes")
                .description("xDS responses sent").tags("cluster", cluster, "type", type).register(registry)))
                .increment();
        // at 0 from the first push on, so that the first NACK is an increase
        rejects(cluster, type);
        sentBytes.computeIfAbsent(type, k -> keep(Counter.builder("meshfed.xds.sent").baseUnit("bytes")
                .description("encoded bytes of the xDS responses sent").tags("type", type).register(registry)))
                .increment(bytes);
    }

    @Override
    public void answered(String cluster, ClientKind kind, String typeUrl, boolean accepted, long nanos) {
        String type = typeLabel(typeUrl);
        ackTimes.computeIfAbsent(type, k -> keep(Timer.builder("meshfed.xds.push.ack")
                .description("time from an xDS response's send to its ACK or NACK").tags("type", type)
                .serviceLevelObjectives(ACK_BUCKETS).register(registry)))
                .record(nanos, TimeUnit.NANOSECONDS);
        if (!accepted) {
            rejects(cluster, type).increment();
        }
    }

    private Counter rejects(String cluster, String type) {
        return rejects.computeIfAbsent(cluster + '\n' + type, k -> keep(Counter.builder("meshfed.xds.rejects")
                .description("NACKs received").tags("cluster", cluster, "type", type).register(registry)));
    }
}
