/**
 * The migrations are written with SQLite's column types; on PostgreSQL this plugin maps them as they
 * run, so one list of migrations makes both schemas:
 * - `integer` → `bigint`: times in ms and µs since the epoch do not fit PostgreSQL's 32-bit integer
 *   (openDatabase reads bigint back as a JS number);
 * - `real` → `double precision` (PostgreSQL's real is 4 bytes; SQLite's is 8);
 * - an autoincrement primary key → `bigserial`.
 * Raw `sql` in a migration is not touched: it must be portable (or ask `dialectOf`).
 */
import {
  type ColumnDefinitionNode,
  DataTypeNode,
  type KyselyPlugin,
  OperationNodeTransformer,
  type PluginTransformQueryArgs,
  type PluginTransformResultArgs,
  type QueryId,
  type QueryResult,
  type RootOperationNode,
  type UnknownRow,
} from 'kysely';

const POSTGRES_TYPES: Partial<Record<string, DataTypeNode['dataType']>> = { integer: 'bigint', real: 'double precision' };

class PortableSchema extends OperationNodeTransformer {
  protected override transformDataType(node: DataTypeNode, queryId?: QueryId): DataTypeNode {
    const mapped = POSTGRES_TYPES[node.dataType];
    return mapped ? DataTypeNode.create(mapped) : super.transformDataType(node, queryId);
  }

  protected override transformColumnDefinition(node: ColumnDefinitionNode, queryId?: QueryId): ColumnDefinitionNode {
    const column = super.transformColumnDefinition(node, queryId);
    return column.autoIncrement ? { ...column, autoIncrement: false, dataType: DataTypeNode.create('bigserial') } : column;
  }
}

export class PortableSchemaPlugin implements KyselyPlugin {
  readonly #transformer = new PortableSchema();

  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    return this.#transformer.transformNode(args.node, args.queryId);
  }

  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    return args.result;
  }
}
