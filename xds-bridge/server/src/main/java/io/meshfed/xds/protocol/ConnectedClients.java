package io.meshfed.xds.protocol;

import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** The status of every open stream, for the debug endpoint. Entries leave when their stream ends. Thread-safe. */
public final class ConnectedClients {
    private final Map<Long, ClientStatus> byStream = new ConcurrentHashMap<>();

    void put(ClientStatus status) {
        byStream.put(status.streamId(), status);
    }

    void remove(long streamId) {
        byStream.remove(streamId);
    }

    public List<ClientStatus> all() {
        return byStream.values().stream().sorted(Comparator.comparingLong(ClientStatus::streamId)).toList();
    }

    public int size() {
        return byStream.size();
    }
}
