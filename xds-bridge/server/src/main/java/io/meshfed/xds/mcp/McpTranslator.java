package io.meshfed.xds.mcp;

import com.google.protobuf.Message;
import io.meshfed.model.ClusterCatalog;
import io.meshfed.xds.cache.SnapshotSource;
import java.time.Instant;
import java.util.Collection;
import java.util.Map;

/** Istio resources for one cluster's istiod, wrapped for MCP-over-xDS, by type key then "namespace/name". */
public interface McpTranslator {

    McpResources translate(Collection<ClusterCatalog> catalogs, String targetCluster, Instant now);

    /**
     * One translation's result for one target: every resource ({@code byType}, never modified afterwards), a
     * number unique to this result, and, when the translator knows them, the changes from the result numbered
     * {@code base} ({@code changes} null and {@code base} -1 when it does not).
     */
    record McpResources(long serial, Map<String, Map<String, Message>> byType, long base,
            SnapshotSource.Changes changes) {
    }
}
