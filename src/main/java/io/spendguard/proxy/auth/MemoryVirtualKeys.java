package io.spendguard.proxy.auth;

import io.spendguard.proxy.config.ProxyConfig.KeyConfig;
import io.vertx.core.Future;
import java.time.Clock;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * Virtual keys in memory: keys made on the admin API are lost on restart (keys in the file come back
 * with it). Safe from any thread; a lookup is one hash-map read.
 */
public final class MemoryVirtualKeys implements VirtualKeys {
    private final Clock clock;
    private final ConcurrentMap<String, VirtualKey> byId = new ConcurrentHashMap<>();
    /** Live keys only: revoking removes the entry, so a lookup never sees a revoked key. */
    private final ConcurrentMap<String, VirtualKey> bySha256 = new ConcurrentHashMap<>();

    public MemoryVirtualKeys(Clock clock) {
        this.clock = clock;
    }

    @Override
    public VirtualKey find(String sha256) {
        return bySha256.get(sha256);
    }

    @Override
    public synchronized Future<VirtualKey> add(KeyConfig definition, String source) {
        if (byId.containsKey(definition.id())) {
            return Future.failedFuture(new IllegalStateException("key " + definition.id() + " already exists"));
        }
        if (byId.values().stream().anyMatch(k -> k.sha256().equals(definition.sha256()))) {
            return Future.failedFuture(new IllegalStateException("this key is already stored"));
        }
        VirtualKey key = new VirtualKey(definition, clock.instant(), source, false);
        byId.put(key.id(), key);
        bySha256.put(key.sha256(), key);
        return Future.succeededFuture(key);
    }

    @Override
    public Future<List<VirtualKey>> list() {
        return Future.succeededFuture(byId.values().stream()
                .sorted(Comparator.comparing(VirtualKey::createdAt).thenComparing(VirtualKey::id)).toList());
    }

    @Override
    public Future<VirtualKey> get(String id) {
        return Future.succeededFuture(byId.get(id));
    }

    @Override
    public synchronized Future<VirtualKey> revoke(String id) {
        VirtualKey key = byId.computeIfPresent(id, (k, v) -> v.revoke());
        if (key != null) {
            bySha256.remove(key.sha256());
        }
        return Future.succeededFuture(key);
    }
}
