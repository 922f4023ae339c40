/// RFC 7047 (OVSDB): the data model, schemas, transactions and the durable log.
public enum OVSDB {}
