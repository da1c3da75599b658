package io.meshfed.xds.protocol;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Counters of the ADS server, all monotonic except {@code streamsOpen}, {@code responseBytesInFlight} (the bytes of
 * responses handed to connections and not yet written: what slow clients hold) and {@code responsesAwaitingAnswer}.
 * Thread-safe.
 */
public final class XdsMetrics {
    final AtomicLong streamsOpened = new AtomicLong();
    final AtomicLong streamsClosed = new AtomicLong();
    final AtomicLong responses = new AtomicLong();
    final AtomicLong bytesSent = new AtomicLong();
    final AtomicLong resourcesSent = new AtomicLong();
    final AtomicLong responseBytesInFlight = new AtomicLong();
    final AtomicLong acks = new AtomicLong();
    final AtomicLong nacks = new AtomicLong();
    final AtomicLong rejectedStreams = new AtomicLong();
    /** Streams whose node locality meshfed did not know when it was served (counted once per stream). */
    final AtomicLong unknownLocalityStreams = new AtomicLong();
    /** Responses written and not yet ACKed or NACKed, over all streams (at most one per stream and type). */
    final AtomicLong responsesAwaitingAnswer = new AtomicLong();
    /**
     * Changes due to a client and held back because its previous response of that type awaited an ACK or NACK; every
     * change held meanwhile goes out in one response, from the newest snapshot.
     */
    final AtomicLong responsesHeldForAnswer = new AtomicLong();
    /** Changes due to a client and held back because its connection's write queue was full (it was not reading). */
    final AtomicLong responsesHeldForTransport = new AtomicLong();

    public long streamsOpened() {
        return streamsOpened.get();
    }

    public long nacks() {
        return nacks.get();
    }

    public long acks() {
        return acks.get();
    }

    public long bytesSent() {
        return bytesSent.get();
    }

    public long responses() {
        return responses.get();
    }

    public long responseBytesInFlight() {
        return responseBytesInFlight.get();
    }

    public long streamsOpen() {
        return streamsOpened.get() - streamsClosed.get();
    }

    public long rejectedStreams() {
        return rejectedStreams.get();
    }

    public long unknownLocalityStreams() {
        return unknownLocalityStreams.get();
    }

    public long responsesAwaitingAnswer() {
        return responsesAwaitingAnswer.get();
    }

    public long responsesHeldForAnswer() {
        return responsesHeldForAnswer.get();
    }

    public long responsesHeldForTransport() {
        return responsesHeldForTransport.get();
    }

    /** Name to value, in Prometheus naming. */
    public Map<String, Long> asMap() {
        Map<String, Long> m = new LinkedHashMap<>();
        m.put("meshfed_xds_streams_opened_total", streamsOpened.get());
        m.put("meshfed_xds_streams_open", streamsOpen());
        m.put("meshfed_xds_responses_total", responses.get());
        m.put("meshfed_xds_response_bytes_total", bytesSent.get());
        m.put("meshfed_xds_resources_sent_total", resourcesSent.get());
        m.put("meshfed_xds_response_bytes_in_flight", responseBytesInFlight.get());
        m.put("meshfed_xds_acks_total", acks.get());
        m.put("meshfed_xds_nacks_total", nacks.get());
        m.put("meshfed_xds_rejected_streams_total", rejectedStreams.get());
        m.put("meshfed_xds_unknown_locality_streams_total", unknownLocalityStreams.get());
        m.put("meshfed_xds_responses_awaiting_answer", responsesAwaitingAnswer.get());
        m.put("meshfed_xds_responses_held_for_answer_total", responsesHeldForAnswer.get());
        m.put("meshfed_xds_responses_held_for_transport_total", responsesHeldForTransport.get());
        return m;
    }
}
