package io.meshfed.xds.protocol;

import com.google.protobuf.InvalidProtocolBufferException;
import io.envoyproxy.envoy.config.core.v3.ControlPlane;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
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
 * A state-of-the-world ADS stream.
 *
 * <p>Per type: the subscription (wildcard or names, names that do not exist yet included), the version and nonce
 * of the last response, the last ACKed version and the last NACK. Rules: the first request of a type is a new
 * subscription whatever {@code response_nonce} it carries (istiod's client sends a timestamp there); later a
 * nonce that is not the latest of its type is stale and ignored if this stream issued it, and refused if it never
 * did; {@code error_detail} makes a request a NACK, which is logged and counted and leaves the client on its last
 * accepted config (nothing is re-sent until the snapshot changes). A response is sent only when what the client
 * subscribes to changed, except that every new subscription gets an answer, possibly empty.
 *
 * <p>Flow control ({@link AdsStream#mayRespond}): a response awaits its ACK or NACK before the next of its type is
 * sent. A stale nonce is no answer, and such a request is ignored whole, its {@code resource_names} included: the
 * client has a response on its way that it will answer, and that answer carries its subscription as it is then
 * (state of the world requests always carry the whole subscription), so nothing is lost and the subscription is
 * read once, from the newer request. A request without nonce (other than the type's first) is not an answer; its
 * subscription applies and it is owed a response, which waits like any other.
 */
final class SotwStream extends AdsStream<DiscoveryRequest> {
    static final ControlPlane CONTROL_PLANE = ControlPlane.newBuilder().setIdentifier("meshfed-xds-bridge").build();

    private final Map<String, TypeState> types = new HashMap<>();

    private static final class TypeState extends AnswerState {
        final String typeUrl;
        final boolean legacyWildcard;
        boolean wildcard;
        Set<String> names = new TreeSet<>();
        /**
         * The version of the response flow control holds back, null when none is: only the fact that one is due,
         * never the response, which is built from the newest snapshot when the type may be written again.
         */
        String heldVersion;
        /** Whether the held response is due even if its version is the one last sent (a request asked for it). */
        boolean heldOwed;

        TypeState(String typeUrl, List<String> firstNames) {
            this.typeUrl = typeUrl;
            this.legacyWildcard = firstNames.isEmpty();
            subscribe(firstNames);
        }

        /** Applies a request's resource_names; true when the subscription changed. */
        boolean subscribe(List<String> requested) {
            boolean nextWildcard = requested.contains("*") || (legacyWildcard && requested.isEmpty());
            Set<String> nextNames = new TreeSet<>(requested);
            nextNames.remove("*");
            boolean changed = nextWildcard != wildcard || !nextNames.equals(names);
            wildcard = nextWildcard;
            names = nextNames;
            return changed;
        }
    }

    SotwStream(AdsServer.StreamEnv env) {
        super(env);
    }

    @Override
    String protocol() {
        return "SOTW";
    }

    @Override
    DiscoveryRequest parse(Buffer bytes) throws InvalidProtocolBufferException {
        return DiscoveryRequest.parseFrom(bytes.getBytes());
    }

    @Override
    String typeUrlOf(DiscoveryRequest request) {
        return request.getTypeUrl();
    }

    @Override
    Node nodeOf(DiscoveryRequest request) {
        return request.hasNode() ? request.getNode() : null;
    }

    @Override
    void handle(DiscoveryRequest req) {
        String typeUrl = requireTypeUrl(req.getTypeUrl());
        TypeState t = types.get(typeUrl);
        if (t == null) {
            t = new TypeState(typeUrl, req.getResourceNamesList());
            types.put(typeUrl, t);
            respond(t, true);
            return;
        }
        String nonce = req.getResponseNonce();
        boolean answered = false;
        if (!nonce.isEmpty()) {
            if (!nonce.equals(t.sentNonce)) {
                if (issuedEarlier(nonce)) {
                    return; // stale: see the class comment
                }
                throw XdsStatusException.invalid("response_nonce '" + nonce + "' for " + typeUrl
                        + " was never sent on this stream");
            }
            answered = answer(typeUrl, t, nonce, req.hasErrorDetail() ? req.getErrorDetail() : null);
        }
        boolean changed = t.subscribe(req.getResourceNamesList());
        if (changed || nonce.isEmpty() || (answered && t.heldVersion != null)) {
            respond(t, nonce.isEmpty());
        }
    }

    @Override
    void pushChanges() {
        for (String typeUrl : PushOrder.of(types.keySet())) {
            respond(types.get(typeUrl), false);
        }
    }

    @Override
    void pushHeld() {
        for (String typeUrl : PushOrder.of(types.keySet())) {
            TypeState t = types.get(typeUrl);
            if (t.heldVersion != null && !t.awaitingAnswer) {
                respond(t, false);
            }
        }
    }

    /**
     * Sends the type's state from the newest snapshot when it differs from what was last sent, or when
     * {@code force}d; holds it when flow control says so.
     */
    private void respond(TypeState t, boolean force) {
        force |= t.heldOwed;
        TypeSnapshot ts = snapshotOf(t.typeUrl).resources(t.typeUrl);
        boolean sharded = sharded(t.typeUrl);
        boolean all = t.wildcard && t.names.isEmpty() && !sharded;
        List<Resource> included = null;
        TypeSnapshot.Part part = null;
        String version;
        if (all) {
            version = ts.version();
        } else if (sharded && t.wildcard && t.names.isEmpty()) {
            // a config source's share (an istiod's): split once per snapshot, shared by the istiod's streams
            part = ts.part(shard.count(), shard.index() - 1);
            version = part.version();
        } else {
            Set<String> wanted = t.names; // sorted
            if (t.wildcard) {
                wanted = new TreeSet<>(t.names);
                wanted.addAll(ts.resources().keySet());
            }
            included = new ArrayList<>(wanted.size());
            for (String name : wanted) {
                Resource r = ts.get(name);
                if (r != null && (!sharded || shard.holds(name))) {
                    included.add(r);
                }
            }
            version = TypeSnapshot.versionOf(included);
        }
        if (!force && version.equals(t.sentVersion)) {
            t.heldVersion = null;
            return;
        }
        if (!mayRespond(t.awaitingAnswer)) {
            t.heldVersion = version;
            t.heldOwed = force;
            return;
        }
        t.heldVersion = null;
        t.heldOwed = false;
        String nonce = nextNonce();
        // Envoy keeps the control plane identifier it last received (per type): once is enough
        ControlPlane cp = t.sentNonce == null ? CONTROL_PLANE : null;
        int count = all ? ts.resources().size() : part != null ? part.resources().size() : included.size();
        send(t.typeUrl, all ? SotwResponses.encodeAll(t.typeUrl, version, nonce, cp, ts)
                : part != null ? SotwResponses.encodePart(t.typeUrl, version, nonce, cp, part)
                : SotwResponses.encode(t.typeUrl, version, nonce, cp, included), count);
        t.sentVersion = version;
        t.sentNonce = nonce;
        t.sentResources = count;
        awaitAnswer(t);
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
