package io.meshfed.xds.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.meshfed.xds.cache.Resource;
import io.meshfed.xds.cache.TypeSnapshot;
import io.meshfed.xds.cache.TypeUrls;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * A response written from pre-encoded resources parses to exactly the message a builder makes of them, whether
 * written from a list or from a snapshot's shared chunks; and a snapshot that differs in one resource shares every
 * chunk but the one that resource is in.
 */
class SotwResponsesTest {

    static Resource cluster(String name, int connectTimeout) {
        return Resource.pack(name, Cluster.newBuilder().setName(name)
                .setConnectTimeout(com.google.protobuf.Duration.newBuilder().setSeconds(connectTimeout)).build());
    }

    static List<Resource> clusters(int n) {
        List<Resource> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            // names of growing length, so entries need one- and two-byte length prefixes
            String name = "outbound|80||svc-" + i + "-" + "x".repeat(i % 200) + ".ns.svc.cluster.local";
            out.add(cluster(name, 1));
        }
        return out;
    }

    @Test
    void encodedResponsesParseToTheBuiltOne() throws Exception {
        List<Resource> resources = clusters(1500);
        TypeSnapshot all = TypeSnapshot.of(resources);
        for (boolean withControlPlane : new boolean[] {true, false}) {
            var cp = withControlPlane ? SotwStream.CONTROL_PLANE : null;
            for (List<Resource> included : List.of(resources, resources.subList(0, 1), List.<Resource>of())) {
                assertEncodes(included, withControlPlane,
                        () -> SotwResponses.encode(TypeUrls.CLUSTER, "v7", "12", cp, included));
            }
            // the whole snapshot, from its chunks: resources in name order
            assertEncodes(List.copyOf(all.resources().values()), withControlPlane,
                    () -> SotwResponses.encodeAll(TypeUrls.CLUSTER, "v7", "12", cp, all));
            assertEncodes(List.of(), withControlPlane,
                    () -> SotwResponses.encodeAll(TypeUrls.CLUSTER, "v7", "12", cp, TypeSnapshot.EMPTY));
        }
    }

    private static void assertEncodes(List<Resource> included, boolean withControlPlane, Supplier<ByteBuf> encoder)
            throws Exception {
        DiscoveryResponse.Builder expected = DiscoveryResponse.newBuilder().setTypeUrl(TypeUrls.CLUSTER)
                .setVersionInfo("v7").setNonce("12");
        if (withControlPlane) {
            expected.setControlPlane(SotwStream.CONTROL_PLANE);
        }
        included.forEach(r -> expected.addResources(r.body()));
        ByteBuf buf = encoder.get();
        try {
            byte[] bytes = ByteBufUtil.getBytes(buf);
            DiscoveryResponse parsed = DiscoveryResponse.parseFrom(bytes);
            assertEquals(expected.build(), parsed);
            assertEquals(expected.build().getSerializedSize(), bytes.length, "no byte more or less");
            assertEquals(included.size(), parsed.getResourcesCount());
            for (int i = 0; i < included.size(); i++) {
                assertArrayEquals(included.get(i).body().toByteArray(), parsed.getResources(i).toByteArray());
            }
        } finally {
            buf.release();
        }
    }

    @Test
    void snapshotsShareEveryChunkTheirDifferenceIsNotIn() {
        List<Resource> resources = clusters(3000);
        TypeSnapshot before = TypeSnapshot.of(resources);
        Resource changed = cluster(resources.get(1234).name(), 2);
        TypeSnapshot after = before.with(List.of(changed), List.of());
        // another group's view with the same resources is built on its own and still shares all its chunks
        TypeSnapshot twin = TypeSnapshot.of(new ArrayList<>(resources));

        List<ByteBuffer> a = before.sotwChunks();
        List<ByteBuffer> b = after.sotwChunks();
        assertTrue(a.size() > 10, "thousands of resources make many chunks: " + a.size());
        assertEquals(a.size(), b.size(), "chunk boundaries depend on names only");
        Set<ByteBuffer> shared = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
        shared.addAll(a);
        int notShared = 0;
        for (ByteBuffer chunk : b) {
            if (!shared.contains(chunk)) {
                notShared++;
            }
        }
        assertEquals(1, notShared, "only the chunk holding the changed resource is new");
        for (int i = 0; i < a.size(); i++) {
            assertSame(a.get(i), twin.sotwChunks().get(i), "equal content, same chunk");
        }
        assertSame(a, before.sotwChunks(), "computed once per snapshot");
    }

    @Test
    void chunksTakenOverFromThePredecessorCarryTheSameBytesAsChunksMadeAnew() {
        java.util.Random random = new java.util.Random(7);
        List<Resource> initial = clusters(2000);
        java.util.TreeMap<String, Resource> expected = new java.util.TreeMap<>();
        initial.forEach(r -> expected.put(r.name(), r));
        TypeSnapshot current = TypeSnapshot.of(initial);
        current.sotwChunks();
        for (int round = 0; round < 300; round++) {
            List<Resource> put = new ArrayList<>();
            List<String> removed = new ArrayList<>();
            int changes = 1 + random.nextInt(round % 30 == 0 ? 300 : 4);
            for (int i = 0; i < changes; i++) {
                int k = random.nextInt(2600); // some names not there yet
                String name = "outbound|80||svc-" + k + "-" + "x".repeat(k % 200) + ".ns.svc.cluster.local";
                if (random.nextInt(4) == 0) {
                    removed.add(name);
                    expected.remove(name);
                } else {
                    Resource r = cluster(name, 1 + random.nextInt(5));
                    put.removeIf(p -> p.name().equals(name));
                    put.add(r);
                }
            }
            put.forEach(r -> expected.put(r.name(), r));
            current = current.with(put, removed);
            if (round % 7 == 3) {
                continue; // a generation nobody sent: its successor chunks from scratch
            }
            List<ByteBuffer> chunks = current.sotwChunks();
            java.io.ByteArrayOutputStream all = new java.io.ByteArrayOutputStream();
            for (ByteBuffer c : chunks) {
                byte[] b = new byte[c.remaining()];
                c.duplicate().get(b);
                all.writeBytes(b);
            }
            java.io.ByteArrayOutputStream want = new java.io.ByteArrayOutputStream();
            expected.values().forEach(r -> want.writeBytes(r.sotwEntry().toByteArray()));
            assertArrayEquals(want.toByteArray(), all.toByteArray(), "round " + round);
            assertEquals(List.copyOf(expected.keySet()), List.copyOf(current.resources().keySet()));
            // taken-over chunks are the ones a fresh chunking makes too (shared by content)
            List<ByteBuffer> fresh = TypeSnapshot.of(List.copyOf(expected.values())).sotwChunks();
            Set<ByteBuffer> freshSet = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
            freshSet.addAll(fresh);
            long same = chunks.stream().filter(freshSet::contains).count();
            assertTrue(same >= chunks.size() - 2, "round " + round + ": " + same + " of " + chunks.size() + " shared");
        }
    }
}
