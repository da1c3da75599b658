package io.meshfed.xds.app;

import io.meshfed.xds.protocol.AdsObserver;
import java.util.List;

/** Tells several observers, in order, everything the ADS streams tell. */
record AdsObservers(List<AdsObserver> all) implements AdsObserver {
    static AdsObserver of(AdsObserver... observers) {
        return new AdsObservers(List.of(observers));
    }

    @Override
    public void streamOpened(String cluster, ClientKind kind) {
        all.forEach(o -> o.streamOpened(cluster, kind));
    }

    @Override
    public void streamClosed(String cluster, ClientKind kind) {
        all.forEach(o -> o.streamClosed(cluster, kind));
    }

    @Override
    public void responseSent(String cluster, ClientKind kind, String typeUrl, int bytes) {
        all.forEach(o -> o.responseSent(cluster, kind, typeUrl, bytes));
    }

    @Override
    public void answered(String cluster, ClientKind kind, String typeUrl, boolean accepted, long nanos) {
        all.forEach(o -> o.answered(cluster, kind, typeUrl, accepted, nanos));
    }
}
