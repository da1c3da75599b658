package io.meshfed.xds.mcp;

import com.google.protobuf.Message;
import io.meshfed.model.ClusterCatalog;
import java.time.Instant;
import java.util.Collection;
import java.util.Map;

/** Istio resources for one cluster's istiod, wrapped for MCP-over-xDS, by type key then "namespace/name". */
public interface McpTranslator {
    Map<String, Map<String, Message>> translate(Collection<ClusterCatalog> catalogs, String targetCluster, Instant now);
}
