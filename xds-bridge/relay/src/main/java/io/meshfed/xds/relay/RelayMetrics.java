package io.meshfed.xds.relay;

import java.time.Instant;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * The relay's series (docs/observability.md, "xDS relay"), written in Prometheus' text format by {@link #render}.
 * Micrometer is not used: the relay is a small sidecar image, and these few counters and gauges need no registry.
 * Every label value is from a fixed set, and every series exists (at 0) from the start, so a first failure is an
 * increase. Thread-safe: written from the event loops and the reload, read by scrapes and probes.
 */
public final class RelayMetrics {
    /** Which way relayed bytes went. */
    public enum Direction {
        TO_BRIDGE, TO_ISTIOD;

        String label() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }
    }

    /** HTTP/2 frame types as counted: {@code data} (gRPC messages ride in them), {@code headers}, {@code control}. */
    public enum FrameType {
        DATA, HEADERS, CONTROL;

        String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** Why a dial of the bridge failed (the label {@code reason}). */
    public enum DialFailure {
        /** nothing listens at the bridge's address (TCP reset) */
        REFUSED,
        /** no TCP connection within the connect timeout */
        TIMEOUT,
        /** the bridge's host name does not resolve */
        UNRESOLVED,
        /** the bridge's certificate does not chain to {@code MESHFED_RELAY_CA_FILE} (or is expired) */
        UNTRUSTED,
        /** the bridge's certificate does not carry the server name */
        NAME_MISMATCH,
        /** the bridge refused the relay's client certificate (a TLS alert: unknown CA, expired, bad certificate) */
        CERTIFICATE_REFUSED,
        /** any other TLS handshake failure */
        TLS,
        /** the bridge did not agree to HTTP/2 by ALPN */
        NO_H2,
        /** anything else */
        OTHER;

        String label() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }
    }

    private final LongAdder accepted = new LongAdder();
    private final AtomicLong open = new AtomicLong();
    private final AtomicLong upstreamOpen = new AtomicLong();
    private final Map<DialFailure, LongAdder> dialFailures = new EnumMap<>(DialFailure.class);
    private final Map<Direction, LongAdder> bytes = new EnumMap<>(Direction.class);
    private final Map<Direction, Map<FrameType, LongAdder>> frames = new EnumMap<>(Direction.class);
    private final LongAdder reloaded = new LongAdder();
    private final LongAdder reloadFailed = new LongAdder();
    /** The loaded client certificate's validity; null before the first load. */
    private volatile Instant notBefore;
    private volatile Instant notAfter;
    /** When a TLS connection to the bridge (HTTP/2 agreed) was last made, and when a dial last failed; null: never. */
    private volatile Instant lastConnected;
    private volatile Instant lastDialFailure;
    private volatile DialFailure lastDialFailureReason;

    public RelayMetrics() {
        for (DialFailure r : DialFailure.values()) {
            dialFailures.put(r, new LongAdder());
        }
        for (Direction d : Direction.values()) {
            bytes.put(d, new LongAdder());
            Map<FrameType, LongAdder> byType = new EnumMap<>(FrameType.class);
            for (FrameType t : FrameType.values()) {
                byType.put(t, new LongAdder());
            }
            frames.put(d, byType);
        }
    }

    void accepted() {
        accepted.increment();
        open.incrementAndGet();
    }

    void closed() {
        open.decrementAndGet();
    }

    /** A TLS connection to the bridge opened (HTTP/2 agreed); the bridge has not answered on it yet. */
    void upstreamOpened() {
        upstreamOpen.incrementAndGet();
    }

    /** The bridge answered on a connection: it is reachable and accepts the certificate. */
    void upstreamReached(Instant at) {
        lastConnected = at;
    }

    void upstreamClosed() {
        upstreamOpen.decrementAndGet();
    }

    void dialFailed(DialFailure reason, Instant at) {
        dialFailures.get(reason).increment();
        lastDialFailure = at;
        lastDialFailureReason = reason;
    }

    void relayed(Direction direction, int n) {
        bytes.get(direction).add(n);
    }

    void frame(Direction direction, FrameType type) {
        frames.get(direction).get(type).increment();
    }

    void certificateLoaded(Instant validFrom, Instant validUntil, boolean reload) {
        notBefore = validFrom;
        notAfter = validUntil;
        if (reload) {
            reloaded.increment();
        }
    }

    void reloadFailed() {
        reloadFailed.increment();
    }

    /** The loaded certificate's notBefore/notAfter, or null before the first load. */
    Instant certificateNotBefore() {
        return notBefore;
    }

    Instant certificateNotAfter() {
        return notAfter;
    }

    long upstreamOpen() {
        return upstreamOpen.get();
    }

    Instant lastConnected() {
        return lastConnected;
    }

    Instant lastDialFailure() {
        return lastDialFailure;
    }

    DialFailure lastDialFailureReason() {
        return lastDialFailureReason;
    }

    /** Every series, in Prometheus' text exposition format 0.0.4. */
    public String render() {
        StringBuilder b = new StringBuilder(2048);
        family(b, "meshfed_relay_connections_accepted_total", "counter",
                "connections from istiod the relay accepted");
        sample(b, "meshfed_relay_connections_accepted_total", "", accepted.sum());
        family(b, "meshfed_relay_connections_open", "gauge", "connections from istiod open now");
        sample(b, "meshfed_relay_connections_open", "", open.get());
        family(b, "meshfed_relay_upstream_connections_open", "gauge",
                "mutual-TLS connections to the bridge open now");
        sample(b, "meshfed_relay_upstream_connections_open", "", upstreamOpen.get());
        family(b, "meshfed_relay_upstream_connected_timestamp_seconds", "gauge",
                "when the bridge last answered on a new connection, Unix seconds; 0 before the first");
        sample(b, "meshfed_relay_upstream_connected_timestamp_seconds", "", seconds(lastConnected, 0));
        family(b, "meshfed_relay_upstream_dial_failures_total", "counter", "failed dials of the bridge by reason");
        for (DialFailure r : DialFailure.values()) {
            sample(b, "meshfed_relay_upstream_dial_failures_total", "reason=\"" + r.label() + "\"",
                    dialFailures.get(r).sum());
        }
        family(b, "meshfed_relay_relayed_bytes_total", "counter", "bytes relayed, by direction");
        for (Direction d : Direction.values()) {
            sample(b, "meshfed_relay_relayed_bytes_total", "direction=\"" + d.label() + "\"", bytes.get(d).sum());
        }
        family(b, "meshfed_relay_relayed_frames_total", "counter", "HTTP/2 frames relayed, by direction and type");
        for (Direction d : Direction.values()) {
            for (FrameType t : FrameType.values()) {
                sample(b, "meshfed_relay_relayed_frames_total", "direction=\"" + d.label() + "\",type=\"" + t.label()
                        + "\"", frames.get(d).get(t).sum());
            }
        }
        family(b, "meshfed_relay_client_certificate_expiry_timestamp_seconds", "gauge",
                "notAfter of the relay's client certificate as loaded, Unix seconds");
        sample(b, "meshfed_relay_client_certificate_expiry_timestamp_seconds", "", seconds(notAfter, Double.NaN));
        family(b, "meshfed_relay_certificate_reloads_total", "counter",
                "re-reads of the certificate files that found them changed, by outcome");
        sample(b, "meshfed_relay_certificate_reloads_total", "outcome=\"reloaded\"", reloaded.sum());
        sample(b, "meshfed_relay_certificate_reloads_total", "outcome=\"failed\"", reloadFailed.sum());
        return b.toString();
    }

    private static double seconds(Instant at, double none) {
        return at == null ? none : at.toEpochMilli() / 1000.0;
    }

    private static void family(StringBuilder b, String name, String type, String help) {
        b.append("# HELP ").append(name).append(' ').append(help).append('\n');
        b.append("# TYPE ").append(name).append(' ').append(type).append('\n');
    }

    private static void sample(StringBuilder b, String name, String labels, double value) {
        b.append(name);
        if (!labels.isEmpty()) {
            b.append('{').append(labels).append('}');
        }
        b.append(' ');
        if (Double.isNaN(value)) {
            b.append("NaN");
        } else if (value == Math.rint(value) && Math.abs(value) < 1e15) {
            b.append((long) value);
        } else {
            b.append(value);
        }
        b.append('\n');
    }
}
