// librdkafka for Swift: the producer's producev is variadic and the special offsets/partitions
// are macros (RD_KAFKA_OFFSET_BEGINNING imports as Int32), so typed wrappers live here.
#ifndef ORDERPAY_CRDKAFKA_SHIM_H
#define ORDERPAY_CRDKAFKA_SHIM_H
#include <stdint.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

/// Produces a copy of key and value to the partition the configured partitioner picks from the key,
/// so every event of one order lands in one partition, in order.
static inline int op_rd_kafka_produce(rd_kafka_topic_t *topic, const void *key, size_t key_length,
                                      const void *value, size_t value_length, void *opaque) {
    return rd_kafka_produce(topic, RD_KAFKA_PARTITION_UA, RD_KAFKA_MSG_F_COPY,
                            (void *)value, value_length, key, key_length, opaque);
}

static inline int64_t op_rd_kafka_offset_beginning(void) { return (int64_t)RD_KAFKA_OFFSET_BEGINNING; }
static inline int64_t op_rd_kafka_offset_end(void) { return (int64_t)RD_KAFKA_OFFSET_END; }
static inline int64_t op_rd_kafka_offset_invalid(void) { return (int64_t)RD_KAFKA_OFFSET_INVALID; }
/// RD_KAFKA_OFFSET_TAIL(count): start `count` messages before the end of a partition.
static inline int64_t op_rd_kafka_offset_tail(int64_t count) { return (int64_t)RD_KAFKA_OFFSET_TAIL(count); }
static inline int op_rd_kafka_purge_all(void) { return RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT; }
#endif
