package io.meshfed.xds.protocol;

import com.google.protobuf.InvalidProtocolBufferException;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryResponse;
import io.meshfed.xds.cache.Resource;
import io.meshfed.xds.cache.TypeSnapshot;
import io.vertx.core.buffer.Buffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * An incremental (delta) ADS stream.
 *
 * <p>Per type the stream tracks the subscription and the version of every resource the client holds (seeded from
 * {@code initial_resource_versions} on reconnect), and sends only resources whose version differs plus the names
 * that went away. Subscription changes apply whatever nonce a request carries (delta requests are increments and
 * dropping one would lose it); the nonce only decides ACK/NACK. A subscribed name that does not exist is reported
 * once in {@code removed_resources}, so the client stops waiting for it; it is sent as soon as it appears.
 *
 * <p>Flow control ({@link AdsStream#mayRespond}): a response awaits its ACK or NACK before the next of its type is
 * sent. A stale nonce is no answer, but, unlike state of the world, the request's subscription changes still apply
 * (the xDS protocol requires it: a delta request carries only its increment, which nothing would repeat); what they
 * make due is held like any change, together with the names newly subscribed meanwhile.
 */
final class DeltaStream extends AdsStream<DeltaDiscoveryRequest> {
    private final Map<String, TypeState> types = new HashMap<>();

    private static final class TypeState extends AnswerState {
        final String typeUrl;
        boolean wildcard;
        final Set<String> names = new TreeSet<>();
        /**
         * What the client holds, as a type snapshot it was brought up to date with plus differences: for a name
         * in {@link #overrides} the version held there (null: not held), for any other name the version in
         * {@link #base} (absent there: not held). A wildcard subscription leaves a response with everything of
         * {@code base} and no overrides, so an idle stream shares the group's snapshot instead of keeping a
         * version per resource; a named subscription keeps {@code base} null and its few versions in overrides.
         */
        TypeSnapshot base;
        final Map<String, String> overrides = new HashMap<>();
        /**
         * The type snapshot version this stream's view was last reconciled with (null after a subscription change):
         * while it is current, a push has nothing to send, and comparing every held resource is skipped.
         */
        String reconciledVersion;
        /**
         * The type snapshot version flow control held a response back at, null when none is held: only the fact,
         * never the response, which is built from the newest snapshot when the type may be written again.
         */
        String heldVersion;
        /** Whether the held response is due even if nothing differs (the type's first request asked for it). */
        boolean heldOwed;
        /** Names subscribed while a response was held: the held response reports those that do not exist. */
        final Set<String> heldSubscribed = new TreeSet<>();

        TypeState(String typeUrl) {
            this.typeUrl = typeUrl;
        }

        /** The version of {@code name} the client holds, or null. */
        String held(String name) {
            if (overrides.containsKey(name)) {
                return overrides.get(name);
            }
            Resource r = base == null ? null : base.get(name);
            return r == null ? null : r.version();
        }

        /** Records that the client no longer holds {@code name}. */
        void forget(String name) {
            if (base != null && base.get(name) != null) {
                overrides.put(name, null);
            } else {
                overrides.remove(name);
            }
        }

        /** Leaves wildcard: keeps only the held versions of subscribed names, without a base. */
        void keepOnlyNames() {
            Map<String, String> kept = new HashMap<>();
            for (String name : names) {
                String v = held(name);
                if (v != null) {
                    kept.put(name, v);
                }
            }
            base = null;
            overrides.clear();
            overrides.putAll(kept);
        }
    }

    DeltaStream(AdsServer.StreamEnv env) {
        super(env);
    }

    @Override
    String protocol() {
        return "DELTA";
    }

    @Override
    DeltaDiscoveryRequest parse(Buffer bytes) throws InvalidProtocolBufferException {
        return DeltaDiscoveryRequest.parseFrom(bytes.getBytes());
    }

    @Override
    String typeUrlOf(DeltaDiscoveryRequest request) {
        return request.getTypeUrl();
    }

    @Override
    Node nodeOf(DeltaDiscoveryRequest request) {
        return request.hasNode() ? request.getNode() : null;
    }

    @Override
    void handle(DeltaDiscoveryRequest req) {
        String typeUrl = requireTypeUrl(req.getTypeUrl());
        TypeState t = types.get(typeUrl);
        Set<String> newlySubscribed = new TreeSet<>();
        if (t == null) {
            t = new TypeState(typeUrl);
            types.put(typeUrl, t);
            // Legacy wildcard: a first request without names subscribes to everything of the type.
            t.wildcard = req.getResourceNamesSubscribeCount() == 0 || req.getResourceNamesSubscribeList().contains("*");
            for (String name : req.getResourceNamesSubscribeList()) {
                if (!"*".equals(name)) {
                    t.names.add(name);
                    newlySubscribed.add(name);
                }
            }
            t.overrides.putAll(req.getInitialResourceVersionsMap());
            respond(t, true, newlySubscribed);
            return;
        }
        String nonce = req.getResponseNonce();
        boolean answered = false;
        if (!nonce.isEmpty()) {
            if (nonce.equals(t.sentNonce)) {
                answered = answer(typeUrl, t, nonce, req.hasErrorDetail() ? req.getErrorDetail() : null);
            } else if (!issuedEarlier(nonce)) {
                throw XdsStatusException.invalid("response_nonce '" + nonce + "' for " + typeUrl
                        + " was never sent on this stream");
            }
        }
        if (req.getResourceNamesSubscribeCount() > 0 || req.getResourceNamesUnsubscribeCount() > 0) {
            t.reconciledVersion = null;
        }
        boolean wildcardAdded = false;
        for (String name : req.getResourceNamesSubscribeList()) {
            if ("*".equals(name)) {
                wildcardAdded |= !t.wildcard;
                t.wildcard = true;
            } else if (t.names.add(name)) {
                newlySubscribed.add(name);
            }
        }
        boolean wildcardRemoved = false;
        for (String name : req.getResourceNamesUnsubscribeList()) {
            if ("*".equals(name)) {
                wildcardRemoved |= t.wildcard;
                t.wildcard = false;
            } else {
                t.names.remove(name);
                t.forget(name);
                t.heldSubscribed.remove(name);
                newlySubscribed.remove(name);
            }
        }
        if (wildcardRemoved) {
            t.keepOnlyNames();
        }
        if (wildcardAdded || !newlySubscribed.isEmpty() || (answered && t.heldVersion != null)) {
            respond(t, false, newlySubscribed);
        }
    }

    @Override
    void pushChanges() {
        for (String typeUrl : PushOrder.of(types.keySet())) {
            TypeState t = types.get(typeUrl);
            if (!snapshotOf(typeUrl).resources(typeUrl).version().equals(t.reconciledVersion)) {
                respond(t, false, Set.of());
            }
        }
    }

    @Override
    void pushHeld() {
        for (String typeUrl : PushOrder.of(types.keySet())) {
            TypeState t = types.get(typeUrl);
            if (t.heldVersion != null && !t.awaitingAnswer) {
                respond(t, false, Set.of());
            }
        }
    }

    /**
     * Sends what differs between what the client holds and the newest snapshot (nothing when nothing does, unless
     * {@code force}d), or holds it when flow control says so. The client's view is only updated for a response that
     * is sent.
     */
    private void respond(TypeState t, boolean force, Set<String> newlySubscribed) {
        TypeSnapshot ts = snapshotOf(t.typeUrl).resources(t.typeUrl);
        if (!mayRespond(t.awaitingAnswer)) {
            t.heldVersion = ts.version();
            t.heldOwed |= force;
            t.heldSubscribed.addAll(newlySubscribed);
            return;
        }
        force |= t.heldOwed;
        if (!t.heldSubscribed.isEmpty()) {
            Set<String> all = new TreeSet<>(t.heldSubscribed);
            all.addAll(newlySubscribed);
            newlySubscribed = all;
        }
        t.heldVersion = null;
        t.heldOwed = false;
        t.heldSubscribed.clear();
        List<Resource> changed = new ArrayList<>();
        List<String> removed = new ArrayList<>();
        for (String name : candidates(t, ts, newlySubscribed)) {
            Resource r = ts.get(name);
            String held = t.held(name);
            if (r != null && (t.wildcard || t.names.contains(name))) {
                if (!r.version().equals(held)) {
                    changed.add(r);
                }
            } else if (held != null || newlySubscribed.contains(name)) {
                removed.add(name);
            }
        }
        t.reconciledVersion = ts.version();
        if (t.wildcard) {
            // After this response (or without one, when nothing differs) the client holds exactly ts's resources;
            // removed names that never existed are not held.
            t.base = ts;
            t.overrides.clear();
        }
        if (!force && changed.isEmpty() && removed.isEmpty()) {
            return;
        }
        DeltaDiscoveryResponse.Builder b = DeltaDiscoveryResponse.newBuilder()
                .setTypeUrl(t.typeUrl)
                .setSystemVersionInfo(ts.version())
                .addAllRemovedResources(removed);
        if (t.sentNonce == null) {
            b.setControlPlane(SotwStream.CONTROL_PLANE); // Envoy keeps the identifier it last received (per type)
        }
        for (Resource r : changed) {
            b.addResources(io.envoyproxy.envoy.service.discovery.v3.Resource.newBuilder()
                    .setName(r.name()).setVersion(r.version()).setResource(r.body()));
        }
        if (!t.wildcard) {
            changed.forEach(r -> t.overrides.put(r.name(), r.version()));
            removed.forEach(t.overrides::remove);
        }
        String nonce = nextNonce();
        b.setNonce(nonce);
        send(t.typeUrl, b.build(), changed.size());
        t.sentVersion = ts.version();
        t.sentNonce = nonce;
        t.sentResources = changed.size();
        awaitAnswer(t);
    }

    /**
     * The names a response may have to mention: for a wildcard stream whose base is the snapshot {@code ts} was
     * derived from, or a named one last reconciled with that snapshot, only the names that changed between them;
     * otherwise every name in {@code ts}, held by the client or explicitly subscribed. Sorted, so responses list resources in a stable order.
     */
    private static Set<String> candidates(TypeState t, TypeSnapshot ts, Set<String> newlySubscribed) {
        Set<String> names = new TreeSet<>(newlySubscribed);
        Set<String> changedSinceBase = t.base == null || !t.overrides.isEmpty() ? null : ts.changedSince(t.base.version());
        Set<String> changedSinceReconciled = t.wildcard || t.reconciledVersion == null ? null
                : ts.changedSince(t.reconciledVersion);
        if (changedSinceReconciled != null) {
            // a named subscription reconciled with the snapshot ts derives from: it holds that snapshot's version of
            // every name it subscribes to, so only the names that changed since can differ
            for (String name : changedSinceReconciled) {
                if (t.names.contains(name) || t.overrides.containsKey(name)) {
                    names.add(name);
                }
            }
        } else if (t.wildcard && t.base == ts) {
            names.addAll(t.overrides.keySet());
        } else if (t.wildcard && changedSinceBase != null) {
            names.addAll(changedSinceBase);
        } else {
            if (t.wildcard) {
                names.addAll(ts.resources().keySet());
            }
            names.addAll(t.names);
            names.addAll(t.overrides.keySet());
            if (t.base != null) {
                names.addAll(t.base.resources().keySet());
            }
        }
        return names;
    }

    @Override
    Map<String, ClientStatus.TypeStatus> typeStatus() {
        Map<String, ClientStatus.TypeStatus> m = new LinkedHashMap<>();
        for (String typeUrl : PushOrder.of(types.keySet())) {
            TypeState t = types.get(typeUrl);
            m.put(typeUrl, new ClientStatus.TypeStatus(typeUrl, t.wildcard, t.names.size(), t.sentVersion,
                    t.sentNonce, t.sentResources, t.ackedVersion, t.lastNack, t.awaitingAnswer, t.heldVersion));
        }
        return m;
    }
}
