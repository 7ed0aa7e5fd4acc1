package io.metarec.nn;

import io.metarec.autograd.Tensor;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.function.Predicate;

/**
 * An immutable, ordered map from parameter name to tensor: the whole state of a model.
 * Models are functions {@code forward(Params, input)}; an inner loop returns new Params (fast
 * weights) and never writes into the ones it started from.
 *
 * <p>Names are dotted paths ({@code "mlp.fc1.weight"}); a <em>group</em> is any prefix ending at a
 * dot ({@code "mlp"}, {@code "mlp.fc1"}), which is how learners say which parameters adapt.
 */
public final class Params {
    private final Map<String, Tensor> map;

    private Params(Map<String, Tensor> map) {
        this.map = Collections.unmodifiableMap(map);
    }

    public static Params empty() {
        return new Params(new LinkedHashMap<>());
    }

    /** Params with the given names and tensors, in that order. */
    public static Params of(List<String> names, List<Tensor> tensors) {
        if (names.size() != tensors.size())
            throw new IllegalArgumentException(names.size() + " names for " + tensors.size() + " tensors");
        LinkedHashMap<String, Tensor> m = new LinkedHashMap<>();
        for (int i = 0; i < names.size(); i++) {
            if (m.put(names.get(i), tensors.get(i)) != null)
                throw new IllegalArgumentException("parameter name '" + names.get(i) + "' appears twice");
        }
        return new Params(m);
    }

    public static Params of(Map<String, Tensor> map) {
        return new Params(new LinkedHashMap<>(map));
    }

    /** The tensor called {@code name}; an unknown name is an error that lists the known ones. */
    public Tensor get(String name) {
        Tensor t = map.get(name);
        if (t == null) throw new IllegalArgumentException("no parameter '" + name + "'; have " + map.keySet());
        return t;
    }

    public boolean contains(String name) { return map.containsKey(name); }

    public List<String> names() { return new ArrayList<>(map.keySet()); }

    public List<Tensor> tensors() { return new ArrayList<>(map.values()); }

    public Map<String, Tensor> asMap() { return map; }

    /** Number of tensors. */
    public int size() { return map.size(); }

    /** Number of scalar parameters. */
    public long count() {
        long n = 0;
        for (Tensor t : map.values()) n += t.size();
        return n;
    }

    /** A copy with {@code name} set to {@code t} (added at the end when new). */
    public Params with(String name, Tensor t) {
        LinkedHashMap<String, Tensor> m = new LinkedHashMap<>(map);
        m.put(name, t);
        return new Params(m);
    }

    /** A copy where every name of {@code other} takes other's tensor (new names are appended). */
    public Params with(Params other) {
        LinkedHashMap<String, Tensor> m = new LinkedHashMap<>(map);
        m.putAll(other.map);
        return new Params(m);
    }

    /** The parameters whose names satisfy the predicate, in order. */
    public Params filter(Predicate<String> keep) {
        LinkedHashMap<String, Tensor> m = new LinkedHashMap<>();
        map.forEach((k, v) -> {
            if (keep.test(k)) m.put(k, v);
        });
        return new Params(m);
    }

    /** True when {@code name} is {@code group} itself or lies under it ({@code group + "."}). */
    public static boolean inGroup(String name, String group) {
        return name.equals(group) || name.startsWith(group + ".");
    }

    /**
     * The parameters in any of the groups; a group that matches no parameter is an error naming it
     * (a typo would otherwise silently adapt nothing).
     */
    public Params select(List<String> groups) {
        for (String g : groups) {
            if (map.keySet().stream().noneMatch(k -> inGroup(k, g)))
                throw new IllegalArgumentException("parameter group '" + g + "' matches no parameter; have " + map.keySet());
        }
        return filter(k -> groups.stream().anyMatch(g -> inGroup(k, g)));
    }

    /** Applies {@code f(name, tensor)} to every entry. */
    public Params map(BiFunction<String, Tensor, Tensor> f) {
        LinkedHashMap<String, Tensor> m = new LinkedHashMap<>();
        map.forEach((k, v) -> m.put(k, f.apply(k, v)));
        return new Params(m);
    }

    /** Every tensor as a fresh leaf variable (gradients can be taken with respect to these). */
    public Params requiringGrad() {
        return map((k, t) -> t.requiringGrad());
    }

    /** Every tensor without history. */
    public Params detach() {
        return map((k, t) -> t.detach());
    }

    @Override public String toString() {
        StringBuilder sb = new StringBuilder("Params{");
        map.forEach((k, v) -> sb.append(sb.length() > 7 ? ", " : "").append(k).append(v.shapeString()));
        return sb.append('}').toString();
    }
}
