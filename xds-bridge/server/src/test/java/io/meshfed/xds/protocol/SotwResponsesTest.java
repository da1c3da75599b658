package io.meshfed.xds.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.meshfed.xds.cache.Resource;
import io.meshfed.xds.cache.TypeUrls;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.PooledByteBufAllocator;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A response written from pre-encoded resources parses to exactly the message a builder makes of them. */
class SotwResponsesTest {

    @Test
    void encodedResponseParsesToTheBuiltOne() throws Exception {
        List<Resource> resources = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            // names of growing length, so entries need one- and two-byte length prefixes
            String name = "outbound|80||svc-" + "x".repeat(i) + ".ns.svc.cluster.local";
            resources.add(Resource.pack(name, Cluster.newBuilder().setName(name).build()));
        }
        for (boolean withControlPlane : new boolean[] {true, false}) {
            for (List<Resource> included : List.of(resources, resources.subList(0, 1), List.<Resource>of())) {
                DiscoveryResponse.Builder expected = DiscoveryResponse.newBuilder().setTypeUrl(TypeUrls.CLUSTER)
                        .setVersionInfo("v7").setNonce("12");
                if (withControlPlane) {
                    expected.setControlPlane(SotwStream.CONTROL_PLANE);
                }
                included.forEach(r -> expected.addResources(r.body()));

                ByteBuf buf = SotwResponses.encode(PooledByteBufAllocator.DEFAULT, TypeUrls.CLUSTER, "v7", "12",
                        withControlPlane ? SotwStream.CONTROL_PLANE : null, included);
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
        }
    }
}
