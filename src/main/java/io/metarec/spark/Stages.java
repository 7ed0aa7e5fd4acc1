package io.metarec.spark;

import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.api.java.function.Function2;
import scala.reflect.ClassTag;
import scala.reflect.ClassTag$;
import scala.runtime.AbstractFunction1;

import java.io.Serializable;
import java.util.Iterator;

/**
 * A stage over every partition of an RDD, plain or in barrier mode ({@code RDD.barrier()}: all
 * partitions start together or not at all, which needs as many free task slots as partitions).
 */
final class Stages {
    private Stages() {}

    static <T, R> JavaRDD<R> run(JavaRDD<T> rdd, boolean barrier, FlatMapFunction<Iterator<T>, R> f) {
        if (!barrier) return rdd.mapPartitions(f);
        return runIndexed(rdd, true, (p, it) -> f.call(it));
    }

    static <T, R> JavaRDD<R> runIndexed(JavaRDD<T> rdd, boolean barrier, Function2<Integer, Iterator<T>, Iterator<R>> f) {
        if (!barrier) return rdd.mapPartitionsWithIndex(f, false);
        @SuppressWarnings("unchecked") ClassTag<R> tag = (ClassTag<R>) (ClassTag<?>) ClassTag$.MODULE$.AnyRef();
        return new JavaRDD<>(rdd.rdd().barrier().mapPartitions(new Barrier<>(f), false, tag), tag);
    }

    /** The partition function as Scala's Function1 over Scala iterators (what RDDBarrier takes). */
    private static final class Barrier<T, R> extends AbstractFunction1<scala.collection.Iterator<T>, scala.collection.Iterator<R>> implements Serializable {
        private final Function2<Integer, Iterator<T>, Iterator<R>> f;

        Barrier(Function2<Integer, Iterator<T>, Iterator<R>> f) {
            this.f = f;
        }

        @Override public scala.collection.Iterator<R> apply(scala.collection.Iterator<T> in) {
            try {
                Iterator<R> out = f.call(TaskContext.getPartitionId(), scala.jdk.javaapi.CollectionConverters.asJava(in));
                return scala.jdk.javaapi.CollectionConverters.asScala(out);
            } catch (RuntimeException e) {
                throw e;
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
    }
}
