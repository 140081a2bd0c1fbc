package io.spendguard.proxy.auth;

import io.spendguard.proxy.config.ProxyConfig.KeyConfig;
import io.vertx.core.Future;
import java.util.List;

/**
 * Where virtual keys live. {@link #find} runs on every request, on the event loop: it must be O(1)
 * and never block (a durable store keeps an in-memory index and writes through). The rest serves
 * the admin API and may be asynchronous.
 */
public interface VirtualKeys {

    /** Where a key came from, shown in listings. */
    String CONFIG = "config";
    String ADMIN = "admin";

    /** The live key whose SHA-256 is {@code sha256}, or null when none is (unknown or revoked). */
    VirtualKey find(String sha256);

    /**
     * Stores a new key. Fails with {@link IllegalStateException} when its id, or the key itself, is
     * already stored.
     */
    Future<VirtualKey> add(KeyConfig definition, String source);

    /** Every key, revoked ones included, oldest first. */
    Future<List<VirtualKey>> list();

    /** The key with this id, or null. */
    Future<VirtualKey> get(String id);

    /** Revokes a key at once (the next call with it is refused); the revoked key, or null when unknown. */
    Future<VirtualKey> revoke(String id);
}
