package io.ringkv.it;

import java.util.Map;

/** The UDP protocol suite of {@link NodeProtocolIT} on the durable {@code log} engine (issue 3). */
class LogEngineProtocolIT extends NodeProtocolIT {
    @Override
    protected Map<String, String> storageArgs() {
        return Map.of("ringkv.storage.engine", "log", "ringkv.storage.fsync", "always");
    }
}
