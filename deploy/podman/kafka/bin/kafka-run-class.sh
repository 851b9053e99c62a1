#!/bin/bash
# java with Kafka's jars, heap and options from the environment (as in Kafka's distribution).
exec java ${KAFKA_HEAP_OPTS:--Xmx256m} ${KAFKA_JVM_PERFORMANCE_OPTS:--XX:+UseG1GC} ${KAFKA_OPTS:-} \
    ${KAFKA_LOG4J_OPTS:--Dlog4j2.configurationFile=/opt/kafka/config/log4j2.properties} \
    -cp '/opt/kafka/libs/*' "$@"
