package io.metarec.backend.cuda;

import io.metarec.backend.Indices;

/**
 * The device copy of an {@link Indices}, cached in {@link Indices#deviceCopy} so each index array
 * crosses the bus once. Its blocks follow the heap's ownership rules like any buffer: when the
 * scope that uploaded them closes, the copy is dropped and the next use uploads again.
 *
 * <p>For scatter-add, the copy also carries the positions grouped by destination row (built on
 * first use): {@code dest[u]} receives source rows {@code order[start[u] .. start[u+1])}, in
 * increasing position, which lets the kernel add without atomics in the same order as the CPU.
 */
final class DeviceIndices {
    final DeviceHeap.Block values;
    DeviceHeap.Block dest, start, order;
    int groups;

    DeviceIndices(DeviceHeap.Block values) {
        this.values = values;
    }

    boolean valid(DeviceHeap heap) {
        return values.heap() == heap && !values.freed();
    }

    boolean hasGroups() {
        return dest != null && !dest.freed() && !start.freed() && !order.freed();
    }

    /** The grouping of positions by value: {dest, start, order} (a stable counting sort over the value range). */
    static int[][] groupByValue(Indices ids) {
        int n = ids.length();
        if (n == 0) return new int[][] {new int[0], new int[] {0}, new int[0]};
        int lo = ids.min(), range = ids.max() - lo + 1;
        int[] count = new int[range + 1];
        for (int i = 0; i < n; i++) count[ids.get(i) - lo + 1]++;
        int groups = 0;
        for (int v = 1; v <= range; v++) if (count[v] > 0) groups++;
        int[] dest = new int[groups], start = new int[groups + 1];
        for (int v = 0, u = 0; v < range; v++) {
            if (count[v + 1] > 0) {
                dest[u] = v + lo;
                start[u + 1] = start[u] + count[v + 1];
                u++;
            }
            count[v + 1] += count[v]; // prefix sums: first slot of each value
        }
        int[] order = new int[n];
        for (int i = 0; i < n; i++) order[count[ids.get(i) - lo]++] = i;
        return new int[][] {dest, start, order};
    }
}
