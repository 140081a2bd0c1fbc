package io.spendguard.proxy;

public final class Main { public static void main(String[] a) { } }
